//! The DynamoDB suite, one binary, against the server of `GUARDED_TEST_DYNAMODB` (each test
//! skipped, saying so, when it is unset): `items` checks each fn as owner and stranger,
//! `notes` the tenant scope of `guarded.toml`, `race` a transfer racing the old owner's writes.
//! `tests/ui.rs` (trybuild) stays its own binary.

mod items;
mod notes;
mod race;
