//! The adversarial suite: guarded fns written the way someone who wants a stranger's row would
//! write them, run on SQLite always and on PostgreSQL / MariaDB when `GUARDED_TEST_PG` /
//! `GUARDED_TEST_MYSQL` are set. Every case is called by a stranger against the owner's row and
//! by the owner, and the tables are read back on the pool: rows are checked, not status codes.
//!
//! Forms the macro must refuse are trybuild cases (`tests/ui/fail/`), not here: a refusal is a
//! compile error, which would stop the whole integration binary, every suite with it.

#[macro_use]
mod harness;

mod binds;
mod collation;
mod names;
mod quoting;
mod shapes;
