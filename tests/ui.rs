//! Compile-time guarantees: what #[guarded] accepts, and what it refuses, with the error under
//! the offending tokens. Regenerate `.stderr` files with `TRYBUILD=overwrite`, then read them.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
