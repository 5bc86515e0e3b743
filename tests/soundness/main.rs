//! The adversarial suite: guarded fns written the way someone who wants a stranger's row would
//! write them, run on SQLite always and on PostgreSQL / MariaDB when `GUARDED_TEST_PG` /
//! `GUARDED_TEST_MYSQL` are set. Every case is called by a stranger against the owner's row and
//! by the owner, and the tables are read back on the pool: rows are checked, not status codes.
//!
//! Cases that fail on the current rewriter run only with `GUARDED_SOUNDNESS_PENDING=1`; each
//! names the class of issue 11 it belongs to. Forms the macro must refuse are trybuild cases,
//! not here: a refusal is a compile error, which would stop this whole binary.

#[path = "../common/mod.rs"]
mod common;

#[macro_use]
mod harness;

mod binds;
mod collation;
mod names;
mod quoting;
mod shapes;
