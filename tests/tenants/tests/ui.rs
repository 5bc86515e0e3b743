//! Compile-time refusals of the suite's `guarded.toml` scope (`tests/ui/refused/`): a write
//! that would move a note or a label to another organisation, or plant one there. Regenerate
//! the `.stderr` files with `TRYBUILD=overwrite`, then read them.
//!
//! trybuild compiles the cases in one project directory, and `#[guarded]` reads the
//! `guarded.toml` next to the manifest it compiles: the policy is written there first.

use std::path::Path;

#[test]
fn ui() {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory");
    let file = target.join("tests/trybuild/guarded-tenants/guarded.toml");
    std::fs::create_dir_all(file.parent().expect("a directory")).expect("trybuild's project");
    std::fs::write(&file, include_str!("../guarded.toml")).expect("write the policy");
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/refused/*.rs");
}
