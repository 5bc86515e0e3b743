//! What the guard needs to know about each database.

use sqlx::Database;

/// A database a [`Guard`](crate::Guard) can run on. Implemented for the backends enabled by
/// features (`sqlite`, `postgres`, `mysql`).
pub trait GuardedDb: Database {
    /// The statement opening a transaction of a fn that writes.
    ///
    /// SQLite takes the write lock at `BEGIN IMMEDIATE`, so a guarded fn never fails half-way
    /// with `SQLITE_BUSY` on its first write after reading (a deferred BEGIN would upgrade
    /// its lock there, which SQLite cannot wait for).
    const BEGIN_WRITE: &'static str = "BEGIN";

    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

#[cfg(feature = "sqlite")]
impl GuardedDb for sqlx::Sqlite {
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg(feature = "postgres")]
impl GuardedDb for sqlx::Postgres {
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg(feature = "mysql")]
impl GuardedDb for sqlx::MySql {
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}
