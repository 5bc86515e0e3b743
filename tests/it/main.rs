//! The integration tests, one binary with one module per suite: SQLite always, PostgreSQL and
//! MariaDB when `GUARDED_TEST_PG` / `GUARDED_TEST_MYSQL` are set. One binary links axum, sqlx
//! and the three drivers once, instead of once per suite. `tests/ui.rs` (trybuild) stays its
//! own binary.
//!
//! Run one suite with a filter: `cargo test --test it soundness::`.

mod any;
mod common;
mod demos;
mod errors;
mod faults;
mod forms;
mod guarantee;
mod jwks_url;
mod jwt;
mod optional;
mod providers;
mod race;
mod rejection;
mod session;
mod soundness;
mod tables;
mod transport;
mod zero_rows;
