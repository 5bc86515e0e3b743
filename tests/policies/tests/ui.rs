//! Compile-time refusals that need a policy file: statements the suite's `guarded.toml`
//! refuses (`tests/ui/refused/`), and each mistake a policy file can hold
//! (`tests/ui/mistakes/<case>.toml`, with a fn `<case>.rs` that reads it). Regenerate the
//! `.stderr` files with `TRYBUILD=overwrite`, then read them.
//!
//! trybuild compiles every case in one project directory, and `#[guarded]` reads the
//! `guarded.toml` next to the manifest it compiles: each run below writes the policy there
//! first. The expansion tracks the file, so cargo rebuilds when it changes between runs.

use std::path::{Path, PathBuf};

/// The policy file of trybuild's project for this crate.
fn policy_file() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory");
    target.join("tests/trybuild/guarded-policies/guarded.toml")
}

/// Runs the cases `add` names with `policy` as the crate's `guarded.toml`.
fn under(policy: &str, add: impl FnOnce(&trybuild::TestCases)) {
    let file = policy_file();
    std::fs::create_dir_all(file.parent().expect("a directory")).expect("trybuild's project");
    std::fs::write(&file, policy).expect("write the policy");
    let cases = trybuild::TestCases::new();
    add(&cases);
    // The cases run when `cases` is dropped, before the next policy is written.
    drop(cases);
}

#[test]
fn ui() {
    under(include_str!("../guarded.toml"), |cases| {
        cases.compile_fail("tests/ui/refused/*.rs");
    });
    let mut mistakes: Vec<PathBuf> = std::fs::read_dir("tests/ui/mistakes")
        .expect("the mistakes")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    mistakes.sort();
    assert!(!mistakes.is_empty(), "no policy mistakes found");
    for toml in mistakes {
        let policy = std::fs::read_to_string(&toml).expect("a policy");
        under(&policy, |cases| {
            cases.compile_fail(toml.with_extension("rs"));
        });
    }
}
