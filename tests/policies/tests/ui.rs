//! Compile-time refusals that need a policy file: statements the suite's `guarded.toml`
//! refuses (`tests/ui/refused/`, each fn naming that file with its `policy` key), and each
//! mistake a policy file can hold (`tests/ui/mistakes/<case>.rs`, whose fn names the file
//! `<case>.toml` beside it). Regenerate the `.stderr` files with `TRYBUILD=overwrite`, then
//! read them.
//!
//! A `policy` key takes the place of the crate's `guarded.toml`, so every case reads a file
//! checked in with it, and nothing is written into trybuild's project.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/refused/*.rs");
    cases.compile_fail("tests/ui/mistakes/*.rs");
}
