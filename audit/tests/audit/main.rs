//! guarded-audit on the examples (snapshots), on a crate with planted unguarded SQL, against
//! the macro's expansion, and its SARIF output.

mod expansion;
mod planted;
mod sarif;
mod snapshots;

use std::path::{Path, PathBuf};

/// The manifest of a crate of the repository, `examples/items_api` for instance.
pub fn manifest(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(dir)
        .join("Cargo.toml")
}

/// The fixture crate.
pub fn planted() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/planted/Cargo.toml")
}

/// The report of the crate at `manifest`.
pub fn report(manifest: &Path) -> guarded_audit::Report {
    guarded_audit::audit(manifest, &mut |_, _, _| {})
        .unwrap_or_else(|e| panic!("{}: {e}", manifest.display()))
}
