//! What the guard needs to know about each database.

use sqlx::{Database, Pool};

/// A database a [`Guard`](crate::Guard) can run on. Implemented for the backends enabled by
/// features (`sqlite`, `postgres`, `mysql`), and for `sqlx::Any` (feature `any`), whose pool
/// may talk to any of them.
pub trait GuardedDb: Database {
    /// The backend a pool of this database talks to; `None` when `guarded` has no statements
    /// for it (an `Any` pool of another driver). Read by the code `#[guarded]` writes.
    #[doc(hidden)]
    fn backend(pool: &Pool<Self>) -> Option<Backend>;

    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

/// A backend the macro writes statements for. A fn guarded with `Guard<Any>` holds one
/// statement text per backend and runs the one for its pool's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL and MariaDB.
    MySql,
}

impl Backend {
    /// The statement opening a transaction of a fn that writes.
    ///
    /// SQLite takes the write lock at `BEGIN IMMEDIATE`, so a guarded fn never fails half-way
    /// with `SQLITE_BUSY` on its first write after reading (a deferred BEGIN would upgrade
    /// its lock there, which SQLite cannot wait for).
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres | Self::MySql => "BEGIN",
        }
    }
}

#[cfg(feature = "sqlite")]
impl GuardedDb for sqlx::Sqlite {
    fn backend(_: &Pool<Self>) -> Option<Backend> {
        Some(Backend::Sqlite)
    }
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg(feature = "postgres")]
impl GuardedDb for sqlx::Postgres {
    fn backend(_: &Pool<Self>) -> Option<Backend> {
        Some(Backend::Postgres)
    }
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg(feature = "mysql")]
impl GuardedDb for sqlx::MySql {
    fn backend(_: &Pool<Self>) -> Option<Backend> {
        Some(Backend::MySql)
    }
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

/// The backend is read off the pool's URL, as sqlx picks its driver.
#[cfg(feature = "any")]
impl GuardedDb for sqlx::Any {
    fn backend(pool: &Pool<Self>) -> Option<Backend> {
        match pool.connect_options().database_url.scheme() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            "mysql" | "mariadb" => Some(Backend::MySql),
            _ => None,
        }
    }
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}
