//! What the statements of one call decided: each statement's result is settled here, and a
//! denial recorded here ends the call whatever the body does next.

use crate::error::Deny;
use crate::{Error, GuardedDb};

/// What the macro knows about a guarded fn, fixed at compile time.
#[derive(Debug, Clone, Copy)]
pub struct FnMeta {
    /// The fn's name, for tracing.
    pub name: &'static str,
    /// The guarded tables, for tracing (`items` or `articles, favorites`).
    pub table: &'static str,
    /// Some statement writes (SQLite then opens with `BEGIN IMMEDIATE`).
    pub writes: bool,
}

/// What the macro knows about one statement site.
#[derive(Debug, Clone, Copy)]
pub struct Site {
    /// Zero rows affected (or returned, for a mutation with RETURNING) is a denial.
    pub zero_rows_denies: bool,
    /// How many rows the statement writes when nothing is denied: an upsert of `N` rows of
    /// VALUES inserts or updates each, so fewer than `N` means some row met another owner's
    /// (1 for every other statement). Read by `execute` and `fetch_all`; the macro refuses
    /// `fetch_one`/`fetch_optional` where it is more than 1.
    pub rows: u64,
    /// The statement carries the policy's `[token] valid` condition: when it finds no row,
    /// the call asks the database whether the token is still valid before it ends.
    pub validity: bool,
    /// The statement reads through an ownership predicate, so a `fetch_one` that finds no
    /// row is "not yours or not there". On any other statement (a table the guard does not
    /// guard, a public read) it is sqlx's `RowNotFound`, the app's to answer.
    pub missing_denies: bool,
}

impl Site {
    /// [`Self::zero_rows_denies`] as a bit of the site's flags, as the macro writes them.
    pub const ZERO_ROWS_DENIES: u8 = 1;
    /// [`Self::validity`] as a bit of the site's flags.
    pub const VALIDITY: u8 = 2;
    /// [`Self::missing_denies`] as a bit of the site's flags.
    pub const MISSING_DENIES: u8 = 4;

    /// The site whose `flags` (the bits above) and `rows` the macro wrote: two literals per
    /// statement instead of a struct expression, as every token of the expansion is compiled
    /// again on each rebuild.
    pub const fn of(flags: u8, rows: u64) -> Self {
        Self {
            zero_rows_denies: flags & Self::ZERO_ROWS_DENIES != 0,
            rows,
            validity: flags & Self::VALIDITY != 0,
            missing_denies: flags & Self::MISSING_DENIES != 0,
        }
    }
}

/// The executor methods whose result a site settles, one kind each. The macro passes the kind
/// of the user's method to `Outcome::settle`; a method without a kind here does not compile,
/// so the macro's list and this one cannot drift apart.
pub mod exec {
    use super::Rows;
    use crate::GuardedDb;

    /// How a method's result shows "no row".
    pub trait Exec<DB, T> {
        /// The result, sorted by whether it holds (at least `rows`) rows.
        fn rows(result: Result<T, sqlx::Error>, rows: u64) -> Result<Rows<T>, sqlx::Error>;
    }

    /// `.execute(..)`: no row changed.
    pub struct Execute;
    /// `.fetch_one(..)`: sqlx's `RowNotFound`.
    pub struct FetchOne;
    /// `.fetch_optional(..)`: `None`.
    pub struct FetchOptional;
    /// `.fetch_all(..)`: an empty `Vec`.
    pub struct FetchAll;

    impl<DB: GuardedDb> Exec<DB, DB::QueryResult> for Execute {
        fn rows(
            result: Result<DB::QueryResult, sqlx::Error>,
            rows: u64,
        ) -> Result<Rows<DB::QueryResult>, sqlx::Error> {
            let done = result?;
            Ok(if DB::rows_affected(&done) < rows.max(1) {
                Rows::Empty(done)
            } else {
                Rows::Some(done)
            })
        }
    }

    impl<DB, R> Exec<DB, R> for FetchOne {
        fn rows(result: Result<R, sqlx::Error>, _: u64) -> Result<Rows<R>, sqlx::Error> {
            match result {
                Ok(row) => Ok(Rows::Some(row)),
                Err(sqlx::Error::RowNotFound) => Ok(Rows::Missing),
                Err(e) => Err(e),
            }
        }
    }

    impl<DB, R> Exec<DB, Option<R>> for FetchOptional {
        fn rows(
            result: Result<Option<R>, sqlx::Error>,
            _: u64,
        ) -> Result<Rows<Option<R>>, sqlx::Error> {
            let row = result?;
            Ok(if row.is_none() {
                Rows::Empty(row)
            } else {
                Rows::Some(row)
            })
        }
    }

    impl<DB, R> Exec<DB, Vec<R>> for FetchAll {
        fn rows(
            result: Result<Vec<R>, sqlx::Error>,
            at_least: u64,
        ) -> Result<Rows<Vec<R>>, sqlx::Error> {
            let rows = result?;
            let fewer = u64::try_from(rows.len()).is_ok_and(|n| n < at_least.max(1));
            Ok(if fewer {
                Rows::Empty(rows)
            } else {
                Rows::Some(rows)
            })
        }
    }
}

/// A statement's result, sorted by whether it holds a row.
pub enum Rows<T> {
    /// At least one row.
    Some(T),
    /// No row, with the (empty) result the body gets when zero rows do not deny.
    Empty(T),
    /// No row and nothing to hand back (`fetch_one`).
    Missing,
}

/// What the statements of a call decided so far.
pub struct Outcome<DB: GuardedDb> {
    meta: FnMeta,
    subject: String,
    /// The guard's challenge, for a revoked token's 401.
    challenge: crate::jwt::Challenge,
    denied: bool,
    /// The checks of the first denied site, built when it was denied.
    checks: Checks<DB>,
    /// A statement carrying the validity condition found no row.
    maybe_revoked: bool,
}

/// A query a denial is classified by, run after the statement decided: the existence check
/// (`deny = 403`), a conflict check or the validity check.
pub type CheckQuery<DB> = sqlx::query::Query<'static, DB, <DB as sqlx::Database>::Arguments>;

/// What classifies a denial of one site, built only when the site is denied (a site that
/// finds its row builds and binds none of it).
pub struct Checks<DB: GuardedDb> {
    /// For `deny = 403`: the denied statement's condition without the predicate.
    pub existence: Option<CheckQuery<DB>>,
    /// The named conditions (409) and the version compared (412), each with the guarded read
    /// that finds the row failing it.
    pub conflicts: Vec<(Error, CheckQuery<DB>)>,
}

impl<DB: GuardedDb> Checks<DB> {
    /// No check: the denial is a 404.
    pub fn none() -> Self {
        Self {
            existence: None,
            conflicts: Vec::new(),
        }
    }
}

impl<DB: GuardedDb> Outcome<DB> {
    pub(crate) fn new(meta: FnMeta, subject: String, challenge: crate::jwt::Challenge) -> Self {
        Self {
            meta,
            subject,
            challenge,
            denied: false,
            checks: Checks::none(),
            maybe_revoked: false,
        }
    }

    /// The conflict checks of the first denied site.
    pub(crate) fn take_conflict_checks(&mut self) -> Vec<(Error, CheckQuery<DB>)> {
        std::mem::take(&mut self.checks.conflicts)
    }

    /// Whether a statement carrying the policy's `[token] valid` condition found no row: the
    /// call then asks the validity check before it ends, and a revoked token ends it as 401
    /// `revoked`.
    pub(crate) fn maybe_revoked(&self) -> bool {
        self.maybe_revoked
    }

    /// Records a revoked token; the call ends with it.
    pub(crate) fn revoked(&self) -> Error {
        tracing::info!(
            r#fn = self.meta.name,
            subject = %self.subject,
            reason = "the policy's token condition no longer holds",
            "guarded: token revoked"
        );
        let revoked = crate::jwt::TokenError::new(crate::jwt::TokenCode::Revoked);
        Error::Unauthorized(revoked.with_challenge(self.challenge.clone()))
    }

    /// Whether some statement of the call was denied.
    pub(crate) fn denied(&self) -> bool {
        self.denied
    }

    /// The existence check of the first denied site, for `deny = 403`.
    pub(crate) fn take_existence_check(&mut self) -> Option<CheckQuery<DB>> {
        self.checks.existence.take()
    }

    /// The one rule every statement run on the guard ends by: no row where the site says
    /// zero rows deny is a denial; anything else passes. `_exec` names the user's method
    /// (see [`exec`]); `flags` and `rows` are the site's ([`Site::of`]); `result` is what the
    /// statement returned, awaited where the user awaited it. A plain fn: a site adds no
    /// state machine to the handler's.
    pub fn settle<T, E: exec::Exec<DB, T>>(
        &mut self,
        exec: E,
        flags: u8,
        rows: u64,
        result: Result<T, sqlx::Error>,
    ) -> Result<T, Error> {
        self.settle_checked(exec, flags, rows, result, (), |()| Checks::none())
    }

    /// [`Self::settle`] for a site whose denial `checks` classify, from the `values` its
    /// statement bound: called only when the site is the call's first denied one, after its
    /// statement ran, so a call whose statements find their rows builds no check.
    // What one site hands over, as the macro writes it: its values by value, moved in once
    // the statement that bound them ran.
    #[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)]
    pub fn settle_checked<T, E: exec::Exec<DB, T>, V>(
        &mut self,
        _exec: E,
        flags: u8,
        rows: u64,
        result: Result<T, sqlx::Error>,
        values: V,
        checks: impl FnOnce(&V) -> Checks<DB>,
    ) -> Result<T, Error> {
        let site = Site::of(flags, rows);
        let rows = E::rows(result, site.rows)?;
        if site.validity && matches!(rows, Rows::Empty(_) | Rows::Missing) {
            self.maybe_revoked = true;
        }
        match rows {
            Rows::Empty(_) | Rows::Missing if site.zero_rows_denies => {
                // After a denial the first denied site's checks are the ones that tell.
                if !self.denied {
                    self.checks = checks(&values);
                }
                Err(self.deny())
            }
            // A guarded read that finds nothing is "not yours or not there" as well.
            Rows::Missing if site.missing_denies => Err(Error::Denied(Deny::NotFound)),
            Rows::Missing => Err(Error::Database(sqlx::Error::RowNotFound)),
            Rows::Some(value) | Rows::Empty(value) => Ok(value),
        }
    }

    /// [`Self::settle`] for a statement the user did not await where they wrote it (a future
    /// kept, joined or selected): the statement runs when the future is awaited.
    pub async fn settle_later<T, E: exec::Exec<DB, T>>(
        &mut self,
        exec: E,
        flags: u8,
        rows: u64,
        run: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, Error> {
        self.settle(exec, flags, rows, run.await)
    }

    /// [`Self::settle_checked`] for a statement awaited later (see [`Self::settle_later`]).
    #[allow(clippy::too_many_arguments)] // what one site hands over, as the macro writes it
    pub async fn settle_checked_later<T, E: exec::Exec<DB, T>, V>(
        &mut self,
        exec: E,
        flags: u8,
        rows: u64,
        run: impl Future<Output = Result<T, sqlx::Error>>,
        values: V,
        checks: impl FnOnce(&V) -> Checks<DB>,
    ) -> Result<T, Error> {
        self.settle_checked(exec, flags, rows, run.await, values, checks)
    }

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
}
