//! What does not compile on DynamoDB: each case a request the guard cannot condition, with the
//! message that says what to write instead (`TRYBUILD=overwrite` rewrites the expectations).

#[test]
fn refused() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
