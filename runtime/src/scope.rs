//! One call of a guarded fn: its connection or transaction, and the denial it may end with.

use sqlx::pool::PoolConnection;
use sqlx::{Executor, IntoArguments, Pool, Transaction};

use crate::error::Deny;
use crate::jwt::GuardClaims;
use crate::{Error, Guard, GuardedDb};

/// What the macro knows about a guarded fn, fixed at compile time.
#[derive(Debug)]
pub struct FnMeta {
    /// The fn's name, for tracing.
    pub name: &'static str,
    /// The guarded table, for tracing.
    pub table: &'static str,
    /// Run the statements in a transaction (several statement sites, a loop, or `deny = 403`).
    pub transactional: bool,
    /// Some statement writes (SQLite then opens with `BEGIN IMMEDIATE`).
    pub writes: bool,
    /// How a denial is reported.
    pub deny: Deny,
}

/// What the macro knows about one statement site.
#[derive(Debug)]
pub struct Site {
    /// Zero rows affected (or returned, for a mutation with RETURNING) is a denial.
    pub zero_rows_denies: bool,
}

enum Conn<DB: GuardedDb> {
    Single(PoolConnection<DB>),
    Tx(Transaction<'static, DB>),
}

/// The state of one call. Dropping it (a panic, a cancelled future) rolls the transaction back.
pub struct Scope<DB: GuardedDb> {
    conn: Conn<DB>,
    outcome: Outcome<DB>,
}

/// What the statements of a call decided so far.
pub struct Outcome<DB: GuardedDb> {
    meta: &'static FnMeta,
    subject: String,
    denied: bool,
    classify: Option<sqlx::query::Query<'static, DB, <DB as sqlx::Database>::Arguments>>,
}

impl<DB: GuardedDb> Scope<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
{
    /// Acquires a connection, or opens the transaction when the fn needs one.
    pub async fn begin<C: GuardClaims>(
        guard: &Guard<DB, C>,
        meta: &'static FnMeta,
    ) -> Result<Self, Error> {
        let pool: &Pool<DB> = guard.pool();
        let conn = if meta.transactional {
            let begin = if meta.writes {
                DB::BEGIN_WRITE
            } else {
                "BEGIN"
            };
            Conn::Tx(pool.begin_with(begin).await?)
        } else {
            Conn::Single(pool.acquire().await?)
        };
        Ok(Self {
            conn,
            outcome: Outcome {
                meta,
                subject: guard.subject().to_string(),
                denied: false,
                classify: None,
            },
        })
    }

    /// The connection for one statement, and the outcome it reports to.
    pub fn split(&mut self) -> (&mut DB::Connection, &mut Outcome<DB>) {
        let conn: &mut DB::Connection = match &mut self.conn {
            Conn::Single(c) => c,
            Conn::Tx(t) => t,
        };
        (conn, &mut self.outcome)
    }

    /// Ends the call: commits on `Ok`, rolls back on `Err` or after a denial. A denial wins
    /// over whatever the body returned, so a swallowed denial still ends the fn.
    pub async fn finish<T, E: From<Error>>(mut self, out: Result<T, E>) -> Result<T, E> {
        if self.outcome.denied {
            let deny = self.classify().await.map_err(E::from)?;
            self.rollback().await;
            return Err(E::from(Error::Denied(deny)));
        }
        match out {
            Ok(value) => match self.conn {
                Conn::Tx(tx) => tx
                    .commit()
                    .await
                    .map(|()| value)
                    .map_err(|e| E::from(e.into())),
                Conn::Single(_) => Ok(value),
            },
            Err(e) => {
                self.rollback().await;
                Err(e)
            }
        }
    }

    /// Ends a call that runs without a transaction (one statement site, no loop, no
    /// `deny = 403`): nothing to commit or roll back, so no await, which keeps the generated
    /// fn a single small state machine. A denial wins over whatever the body returned.
    pub fn finish_single<T, E: From<Error>>(self, out: Result<T, E>) -> Result<T, E> {
        debug_assert!(
            matches!(self.conn, Conn::Single(_)),
            "a transaction must be finished"
        );
        if self.outcome.denied {
            return Err(E::from(Error::Denied(Deny::NotFound)));
        }
        out
    }

    /// Tells "not yours" from "not there" inside the same transaction, after the statement
    /// already decided atomically; only `deny = 403` asks.
    async fn classify(&mut self) -> Result<Deny, Error> {
        let Some(query) = self.outcome.classify.take() else {
            return Ok(Deny::NotFound);
        };
        let (conn, _) = self.split();
        let exists = conn.fetch_optional(query).await?.is_some();
        Ok(if exists {
            Deny::Forbidden
        } else {
            Deny::NotFound
        })
    }

    async fn rollback(self) {
        if let Conn::Tx(tx) = self.conn {
            // A failed rollback leaves nothing committed: the server discards the transaction
            // with the connection.
            if let Err(e) = tx.rollback().await {
                tracing::warn!(error = %e, "guarded: rollback failed");
            }
        }
    }
}

impl<DB: GuardedDb> Outcome<DB> {
    /// Records a denial; the call will end with it whatever the body does next.
    fn deny(&mut self) -> Error {
        self.denied = true;
        tracing::info!(
            r#fn = self.meta.name,
            table = self.meta.table,
            subject = %self.subject,
            reason = "ownership predicate matched no row",
            "guarded: denied"
        );
        Error::Denied(Deny::NotFound)
    }

    /// Keeps the existence check of the site that is about to run, for `deny = 403`.
    pub fn set_classify(
        &mut self,
        query: sqlx::query::Query<'static, DB, <DB as sqlx::Database>::Arguments>,
    ) {
        // After a denial the first denied site's check is the one that classifies it.
        if !self.denied {
            self.classify = Some(query);
        }
    }

    /// Settles an `.execute(...)`.
    pub async fn execute(
        &mut self,
        site: &'static Site,
        fut: impl Future<Output = Result<DB::QueryResult, sqlx::Error>>,
    ) -> Result<DB::QueryResult, Error> {
        let result = fut.await?;
        if site.zero_rows_denies && DB::rows_affected(&result) == 0 {
            return Err(self.deny());
        }
        self.classify = None;
        Ok(result)
    }

    /// Settles a `.fetch_one(...)`.
    pub async fn fetch_one<R>(
        &mut self,
        site: &'static Site,
        fut: impl Future<Output = Result<R, sqlx::Error>>,
    ) -> Result<R, Error> {
        match fut.await {
            Ok(row) => {
                self.classify = None;
                Ok(row)
            }
            Err(sqlx::Error::RowNotFound) if site.zero_rows_denies => Err(self.deny()),
            // A guarded read that finds nothing is "not yours or not there" as well.
            Err(sqlx::Error::RowNotFound) => Err(Error::Denied(Deny::NotFound)),
            Err(e) => Err(e.into()),
        }
    }

    /// Settles a `.fetch_optional(...)`.
    pub async fn fetch_optional<R>(
        &mut self,
        site: &'static Site,
        fut: impl Future<Output = Result<Option<R>, sqlx::Error>>,
    ) -> Result<Option<R>, Error> {
        let row = fut.await?;
        if site.zero_rows_denies && row.is_none() {
            return Err(self.deny());
        }
        self.classify = None;
        Ok(row)
    }

    /// Settles a `.fetch_all(...)`.
    pub async fn fetch_all<R>(
        &mut self,
        site: &'static Site,
        fut: impl Future<Output = Result<Vec<R>, sqlx::Error>>,
    ) -> Result<Vec<R>, Error> {
        let rows = fut.await?;
        if site.zero_rows_denies && rows.is_empty() {
            return Err(self.deny());
        }
        self.classify = None;
        Ok(rows)
    }
}
