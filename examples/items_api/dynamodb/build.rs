//! The demo's policy is the SQL demo's `guarded.toml`: `#[guarded]` reads the file
//! `GUARDED_POLICY` names, relative to this crate, for this crate's build alone.

fn main() {
    println!("cargo::rustc-env=GUARDED_POLICY=../guarded.toml");
    println!("cargo::rerun-if-changed=build.rs");
}
