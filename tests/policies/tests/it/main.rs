//! The policy suite, one binary: `rows` checks each condition of `guarded.toml` on the rows,
//! `race` races each change of the facts they read against a write. SQLite always; PostgreSQL
//! and MariaDB when `GUARDED_TEST_PG` / `GUARDED_TEST_MYSQL` are set.

mod common;
mod race;
mod rows;
