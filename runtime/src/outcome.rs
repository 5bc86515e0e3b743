//! What the statements of one call decided: each statement's result is settled here, and a
//! denial recorded here ends the call whatever the body does next.

use crate::error::Deny;
use crate::scope::{FnMeta, Site};
use crate::{Error, GuardedDb};

/// What the statements of a call decided so far.
pub struct Outcome<DB: GuardedDb> {
    meta: &'static FnMeta,
    subject: String,
    denied: bool,
    classify: Option<Classify<DB>>,
}

/// The existence check kept for `deny = 403`.
type Classify<DB> = sqlx::query::Query<'static, DB, <DB as sqlx::Database>::Arguments>;

impl<DB: GuardedDb> Outcome<DB> {
    pub(crate) fn new(meta: &'static FnMeta, subject: String) -> Self {
        Self {
            meta,
            subject,
            denied: false,
            classify: None,
        }
    }

    /// Whether some statement of the call was denied.
    pub(crate) fn denied(&self) -> bool {
        self.denied
    }

    /// The existence check of the first denied site, for `deny = 403`.
    pub(crate) fn take_classify(&mut self) -> Option<Classify<DB>> {
        self.classify.take()
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

    /// Keeps the existence check of the site that is about to run, for `deny = 403`.
    pub fn set_classify(&mut self, query: Classify<DB>) {
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
        let none = DB::rows_affected(&result) == 0;
        self.settle(site, none, result)
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
        self.settle(site, row.is_none(), row)
    }

    /// Settles a `.fetch_all(...)`.
    pub async fn fetch_all<R>(
        &mut self,
        site: &'static Site,
        fut: impl Future<Output = Result<Vec<R>, sqlx::Error>>,
    ) -> Result<Vec<R>, Error> {
        let rows = fut.await?;
        self.settle(site, rows.is_empty(), rows)
    }

    /// The one rule every statement ends by: no row where the site says zero rows deny is a
    /// denial; anything else passes, and its site's existence check is no longer needed.
    fn settle<T>(&mut self, site: &Site, no_row: bool, value: T) -> Result<T, Error> {
        if site.zero_rows_denies && no_row {
            return Err(self.deny());
        }
        self.classify = None;
        Ok(value)
    }
}
