//! What the guard needs to know about each database.

use sqlx::{Database, Pool};

use crate::Error;

/// What a [`Guard`](crate::Guard) can hold: an SQL database ([`GuardedDb`]) or, with the
/// `dynamodb` feature, [`DynamoDb`](crate::DynamoDb).
pub trait Store: Sized + Send + Sync + 'static {
    /// What the router state hands the guard: a `Pool`, a DynamoDB `Client`.
    type Source: Clone + Send + Sync + 'static;
    /// What the guard keeps of it.
    #[doc(hidden)]
    type Handle: Clone + Send + Sync + 'static;
    /// Checks the source once, when the guard is made.
    #[doc(hidden)]
    fn handle(source: Self::Source) -> Result<Self::Handle, Error>;
}

/// A pool and the backend its statements are written for.
#[doc(hidden)]
pub struct SqlHandle<DB: Database> {
    pub(crate) pool: Pool<DB>,
    pub(crate) backend: Backend,
}

impl<DB: Database> Clone for SqlHandle<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            backend: self.backend,
        }
    }
}

/// The [`Store`] of every [`GuardedDb`]: its pool, the backend read off it.
macro_rules! sql_store {
    ($($feature:literal $db:ty),*) => {$(
        #[cfg(feature = $feature)]
        impl Store for $db {
            type Source = Pool<Self>;
            type Handle = SqlHandle<Self>;
            fn handle(pool: Pool<Self>) -> Result<SqlHandle<Self>, Error> {
                let backend = <Self as GuardedDb>::backend(&pool).ok_or_else(|| {
                    Error::Database(sqlx::Error::Configuration(
                        "a Guard<Any> needs a pool of sqlite, postgres or mysql (mariadb): \
                         #[guarded] writes its statements for those"
                            .into(),
                    ))
                })?;
                Ok(SqlHandle { pool, backend })
            }
        }
    )*};
}

sql_store!("sqlite" sqlx::Sqlite, "postgres" sqlx::Postgres, "mysql" sqlx::MySql, "any" sqlx::Any);

/// A database a [`Guard`](crate::Guard) can run on. Implemented for the backends enabled by
/// features (`sqlite`, `postgres`, `mysql`), and for `sqlx::Any` (feature `any`), whose pool
/// may talk to any of them.
pub trait GuardedDb: Database + Store<Source = Pool<Self>, Handle = SqlHandle<Self>> {
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
