//! The `Guard` extractor: a verified principal and a pool that only `#[guarded]` code can use.

use std::sync::Arc;

use axum_core::extract::{FromRef, FromRequestParts};
use http::request::Parts;
use sqlx::Pool;

use crate::db::Backend;
use crate::jwt::{Claims, GuardClaims, Verifier};
use crate::{Error, GuardedDb};

/// A verified principal plus the pool its statements run on.
///
/// A `Guard` is deliberately not an executor: it hands no connection to code the
/// `#[guarded]` macro did not write, so a handler that takes a `Guard` but forgets the
/// attribute does not compile.
pub struct Guard<DB: GuardedDb, C: GuardClaims = Claims> {
    pool: Pool<DB>,
    backend: Backend,
    claims: Arc<C>,
}

impl<DB: GuardedDb, C: GuardClaims> Clone for Guard<DB, C> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            backend: self.backend,
            claims: Arc::clone(&self.claims),
        }
    }
}

impl<DB: GuardedDb, C: GuardClaims + std::fmt::Debug> std::fmt::Debug for Guard<DB, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("subject", &self.claims.subject())
            .finish_non_exhaustive()
    }
}

impl<DB: GuardedDb, C: GuardClaims> Guard<DB, C> {
    /// A guard for a subject established elsewhere (a background job acting for a user whose
    /// id it read from trusted storage). Handlers get theirs from the request instead.
    ///
    /// # Panics
    ///
    /// For an `Any` pool whose URL names no backend `guarded` writes statements for (SQLite,
    /// PostgreSQL, MySQL/MariaDB): a configuration error, found at the first guard.
    pub fn trusted(pool: Pool<DB>, claims: C) -> Self {
        let backend = DB::backend(&pool).unwrap_or_else(|| panic!("{UNSUPPORTED}"));
        Self {
            pool,
            backend,
            claims: Arc::new(claims),
        }
    }

    /// The verified claims.
    pub fn claims(&self) -> &C {
        &self.claims
    }

    /// The verified subject: the value bound to the owner column.
    pub fn subject(&self) -> &C::Subject {
        self.claims.subject()
    }

    pub(crate) fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }
}

const UNSUPPORTED: &str = "a Guard<Any> needs a pool of sqlite, postgres or mysql (mariadb): #[guarded] writes its \
     statements for those";

impl<S, DB, C> FromRequestParts<S> for Guard<DB, C>
where
    S: Send + Sync,
    DB: GuardedDb,
    C: GuardClaims,
    Pool<DB>: FromRef<S>,
    Verifier: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        let token = verifier.token_of(&parts.headers, &parts.uri)?;
        let claims = verifier.verify::<C>(token).map_err(|e| {
            tracing::info!(reason = e.code(), "guarded: bearer token refused");
            Error::Unauthorized(e)
        })?;
        let pool = Pool::from_ref(state);
        let backend = DB::backend(&pool)
            .ok_or_else(|| Error::Database(sqlx::Error::Configuration(UNSUPPORTED.into())))?;
        Ok(Self {
            pool,
            backend,
            claims: Arc::new(claims),
        })
    }
}
