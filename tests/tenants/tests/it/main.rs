//! The tenant suite, one binary: `rows` checks the scope of `guarded.toml` on the rows for
//! each statement form, `race` races a member's removal against her writes. SQLite always;
//! PostgreSQL and MariaDB when `GUARDED_TEST_PG` / `GUARDED_TEST_MYSQL` are set.

mod common;
mod race;
mod rows;
