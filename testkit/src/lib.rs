//! Test ground shared by the workspace's suites (`publish = false`): a fresh database per test
//! on each backend, removed when the test ends, pass or fail; a runtime for tests that drive
//! async code from a plain `#[test]`; tokens; the race suites' and the benches' helpers; and,
//! with the `dynamodb` feature, the local DynamoDB server's.

pub mod bench;
mod database;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod race;
pub mod tokens;

pub use database::{Database, block_on, until_test_end};
