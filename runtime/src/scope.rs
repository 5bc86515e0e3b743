//! One call of a guarded fn: where its statements run, and how it ends.
//!
//! Two shapes, chosen by the macro at compile time. [`Single`]: one statement site, run once,
//! no `deny = 403`; the statement runs on the pool exactly as a hand-written one would (one
//! round trip, no BEGIN/COMMIT, no await before it) and the call ends with a plain fn.
//! [`Scope`]: everything else, in one transaction, committed at the end. Both hand their
//! sites the same `split()`, so a site expands to the same code in either.

use sqlx::{Executor, IntoArguments, Pool, Transaction};

use crate::db::Backend;
use crate::ending::Ends;
use crate::error::Deny;
use crate::jwt::GuardClaims;
use crate::outcome::{CheckQuery, FnMeta, Outcome};
use crate::{Error, Guard, GuardedDb};

/// A call whose one statement runs on the pool, with nothing to commit or roll back.
pub struct Single<DB: GuardedDb> {
    pool: Pool<DB>,
    backend: Backend,
    outcome: Outcome<DB>,
}

impl<DB: GuardedDb> Single<DB> {
    /// No await and no connection yet: the statement acquires one from the pool as it runs,
    /// and returns it as soon as it is done. `name`, `table` and `writes` are the fn's
    /// [`FnMeta`].
    pub fn new<C: GuardClaims, A>(
        guard: &Guard<DB, C, A>,
        name: &'static str,
        table: &'static str,
        writes: bool,
    ) -> Self {
        let meta = FnMeta {
            name,
            table,
            writes,
        };
        Self {
            pool: guard.pool().clone(),
            backend: guard.backend(),
            outcome: Outcome::new(meta, guard.subject().to_string(), guard.challenge().clone()),
        }
    }

    /// The backend whose statement text runs (a `Guard<Any>` fn has one per backend).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The executor for the statement, and the outcome it reports to.
    pub fn split(&mut self) -> (&Pool<DB>, &mut Outcome<DB>) {
        (&self.pool, &mut self.outcome)
    }

    /// Ends the call; a denial wins over whatever the body returned, so a swallowed denial
    /// still ends the fn. A plain fn: the handler stays one small state machine. (A fn under
    /// a `[token] valid` condition ends through [`Self::finish`], which can ask the database.)
    pub fn finish_single<R>(self, out: R, ends: Ends<R>) -> R {
        if self.outcome.denied() {
            return ends.fail(Error::Denied(Deny::NotFound));
        }
        out
    }

    /// [`Self::finish_single`] for a body that runs in an `async` block of its own (one whose
    /// `return`s the macro cannot rewrite). A denial by a named condition or a version ends
    /// it as 409 or 412, asked on the pool right after the statement decided.
    pub async fn finish<R>(self, out: R, ends: Ends<R>) -> R
    where
        for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
        DB::Arguments: IntoArguments<DB>,
    {
        self.end(out, ends, None::<fn(Backend) -> CheckQuery<DB>>)
            .await
    }

    /// [`Self::finish`] for a fn under the policy's `[token] valid` condition: when its
    /// statement found no row, `validity` builds the validity check for the pool's backend,
    /// and a token the condition no longer admits ends the call as 401 `revoked`.
    pub async fn finish_valid<R>(
        self,
        out: R,
        ends: Ends<R>,
        validity: impl FnOnce(Backend) -> CheckQuery<DB>,
    ) -> R
    where
        for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
        DB::Arguments: IntoArguments<DB>,
    {
        self.end(out, ends, Some(validity)).await
    }

    async fn end<R>(
        mut self,
        out: R,
        ends: Ends<R>,
        validity: Option<impl FnOnce(Backend) -> CheckQuery<DB>>,
    ) -> R
    where
        for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
        DB::Arguments: IntoArguments<DB>,
    {
        if let Some(validity) = validity.filter(|_| self.outcome.maybe_revoked()) {
            match self.pool.fetch_optional(validity(self.backend)).await {
                Ok(None) => return ends.fail(self.outcome.revoked()),
                Ok(Some(_)) => {}
                Err(e) => return ends.fail(e.into()),
            }
        }
        if self.outcome.denied() {
            for (refusal, query) in self.outcome.take_conflict_checks() {
                match self.pool.fetch_optional(query).await {
                    Ok(Some(_)) => return ends.fail(refusal),
                    Ok(None) => {}
                    Err(e) => return ends.fail(e.into()),
                }
            }
        }
        self.finish_single(out, ends)
    }
}

/// A call that runs in a transaction. Dropping it (a panic, a cancelled future) rolls the
/// transaction back.
pub struct Scope<DB: GuardedDb> {
    tx: Transaction<'static, DB>,
    backend: Backend,
    outcome: Outcome<DB>,
}

impl<DB: GuardedDb> Scope<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
{
    /// Opens the transaction (`BEGIN IMMEDIATE` on SQLite when the fn writes). `name`,
    /// `table` and `writes` are the fn's [`FnMeta`].
    pub async fn begin<C: GuardClaims, A>(
        guard: &Guard<DB, C, A>,
        name: &'static str,
        table: &'static str,
        writes: bool,
    ) -> Result<Self, Error> {
        let meta = FnMeta {
            name,
            table,
            writes,
        };
        let backend = guard.backend();
        let begin = if meta.writes {
            backend.begin_write()
        } else {
            "BEGIN"
        };
        Ok(Self {
            tx: guard.pool().begin_with(begin).await?,
            backend,
            outcome: Outcome::new(meta, guard.subject().to_string(), guard.challenge().clone()),
        })
    }

    /// The backend whose statement text runs (a `Guard<Any>` fn has one per backend).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection for one statement, and the outcome it reports to.
    pub fn split(&mut self) -> (&mut DB::Connection, &mut Outcome<DB>) {
        (&mut self.tx, &mut self.outcome)
    }

    /// Ends the call: commits on `Ok`, rolls back on `Err` or after a denial. A denial wins
    /// over whatever the body returned, so a swallowed denial still ends the fn.
    pub async fn finish<R>(self, out: R, ends: Ends<R>) -> R {
        self.end(out, ends, None::<fn(Backend) -> CheckQuery<DB>>)
            .await
    }

    /// [`Self::finish`] for a fn under the policy's `[token] valid` condition: when a
    /// statement carrying it found no row, `validity` builds the validity check for the
    /// pool's backend, asked in the transaction, and a token the condition no longer admits
    /// ends the call as 401 `revoked`.
    pub async fn finish_valid<R>(
        self,
        out: R,
        ends: Ends<R>,
        validity: impl FnOnce(Backend) -> CheckQuery<DB>,
    ) -> R {
        self.end(out, ends, Some(validity)).await
    }

    async fn end<R>(
        mut self,
        out: R,
        ends: Ends<R>,
        validity: Option<impl FnOnce(Backend) -> CheckQuery<DB>>,
    ) -> R {
        if let Some(validity) = validity.filter(|_| self.outcome.maybe_revoked()) {
            match self.tx.fetch_optional(validity(self.backend)).await {
                Ok(None) => {
                    let revoked = self.outcome.revoked();
                    self.rollback().await;
                    return ends.fail(revoked);
                }
                Ok(Some(_)) => {}
                Err(e) => {
                    self.rollback().await;
                    return ends.fail(e.into());
                }
            }
        }
        if self.outcome.denied() {
            match self.conflict().await {
                Ok(None) => {}
                Ok(Some(refusal)) => {
                    self.rollback().await;
                    return ends.fail(refusal);
                }
                Err(e) => {
                    self.rollback().await;
                    return ends.fail(e);
                }
            }
            let deny = match self.denial().await {
                Ok(deny) => deny,
                Err(e) => return ends.fail(e),
            };
            self.rollback().await;
            return ends.fail(Error::Denied(deny));
        }
        if !ends.succeeded(&out) {
            self.rollback().await;
            return out;
        }
        match self.tx.commit().await {
            Ok(()) => out,
            Err(e) => ends.fail(e.into()),
        }
    }

    /// The named condition or version a denial failed on, if the caller may write the row
    /// otherwise:
    /// asked inside the same transaction, after the statement decided.
    async fn conflict(&mut self) -> Result<Option<Error>, Error> {
        for (refusal, query) in self.outcome.take_conflict_checks() {
            if self.tx.fetch_optional(query).await?.is_some() {
                return Ok(Some(refusal));
            }
        }
        Ok(None)
    }

    /// Tells "not yours" from "not there" inside the same transaction, after the statement
    /// already decided atomically; only `deny = 403` asks.
    async fn denial(&mut self) -> Result<Deny, Error> {
        let Some(query) = self.outcome.take_existence_check() else {
            return Ok(Deny::NotFound);
        };
        let exists = self.tx.fetch_optional(query).await?.is_some();
        Ok(if exists {
            Deny::Forbidden
        } else {
            Deny::NotFound
        })
    }

    async fn rollback(self) {
        // A failed rollback leaves nothing committed: the server discards the transaction
        // with the connection.
        if let Err(e) = self.tx.rollback().await {
            tracing::warn!(error = %e, "guarded: rollback failed");
        }
    }
}
