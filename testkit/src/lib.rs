//! Test ground shared by the workspace's suites (`publish = false`): a fresh database per test
//! on each backend, removed when the test ends, pass or fail, and a runtime for tests that
//! drive async code from a plain `#[test]`.

mod database;

pub use database::{Database, block_on, until_test_end};
