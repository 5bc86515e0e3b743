//! The `Guard` extractor: a verified principal and a pool that only `#[guarded]` code can use.

use std::marker::PhantomData;
use std::sync::Arc;

use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use sqlx::Pool;

use crate::authenticate::{Authenticate, Bearer};
use crate::db::{Backend, Store};
use crate::jwt::{Challenge, Claims, GuardClaims, TokenCode};
use crate::{Error, GuardedDb};

/// A verified principal plus the pool its statements run on.
///
/// A `Guard` is deliberately not an executor: it hands no connection to code the
/// `#[guarded]` macro did not write, so a handler that takes a `Guard` but forgets the
/// attribute does not compile.
///
/// `C` is the claims type; `A` says where they come from: the request's token, verified by the
/// router state's [`Verifier`](crate::Verifier) ([`Bearer`], the default), or an app's own
/// [`Authenticate`], such as a server-side session.
pub struct Guard<DB: Store, C: GuardClaims = Claims, A = Bearer> {
    handle: DB::Handle,
    claims: Arc<C>,
    /// What a 401 the fn finds later (a revoked token) challenges with: the transport's.
    challenge: Challenge,
    source: PhantomData<fn() -> A>,
}

impl<DB: Store, C: GuardClaims, A> Clone for Guard<DB, C, A> {
    fn clone(&self) -> Self {
        Self {
            handle: self.handle.clone(),
            claims: Arc::clone(&self.claims),
            challenge: self.challenge.clone(),
            source: PhantomData,
        }
    }
}

impl<DB: Store, C: GuardClaims + std::fmt::Debug, A> std::fmt::Debug for Guard<DB, C, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("subject", &self.claims.subject())
            .finish_non_exhaustive()
    }
}

impl<DB: Store, C: GuardClaims> Guard<DB, C> {
    /// A guard for a subject established elsewhere (a background job acting for a user whose
    /// id it read from trusted storage). Handlers get theirs from the request instead.
    ///
    /// # Panics
    ///
    /// For an `Any` pool whose URL names no backend `guarded` writes statements for (SQLite,
    /// PostgreSQL, MySQL/MariaDB): a configuration error, found at the first guard.
    pub fn trusted(source: DB::Source, claims: C) -> Self {
        let handle = DB::handle(source).unwrap_or_else(|e| panic!("{e}"));
        Self {
            handle,
            claims: Arc::new(claims),
            challenge: Challenge::None,
            source: PhantomData,
        }
    }
}

impl<DB: Store, C: GuardClaims, A> Guard<DB, C, A> {
    /// The verified claims.
    pub fn claims(&self) -> &C {
        &self.claims
    }

    /// The verified subject: the value bound to the owner column.
    pub fn subject(&self) -> &C::Subject {
        self.claims.subject()
    }

    /// The challenge of a refusal after extraction: the transport's, none for a session.
    pub(crate) fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    #[cfg_attr(not(feature = "dynamodb"), allow(dead_code))]
    pub(crate) fn handle(&self) -> &DB::Handle {
        &self.handle
    }
}

impl<DB: GuardedDb, C: GuardClaims, A> Guard<DB, C, A> {
    pub(crate) fn pool(&self) -> &Pool<DB> {
        &self.handle.pool
    }

    pub(crate) fn backend(&self) -> Backend {
        self.handle.backend
    }
}

impl<S, DB, C, A> FromRequestParts<S> for Guard<DB, C, A>
where
    S: Send + Sync,
    DB: Store,
    C: GuardClaims,
    A: Authenticate<S, C>,
    DB::Source: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let claims = A::authenticate(parts, state).await?;
        let handle = DB::handle(DB::Source::from_ref(state))?;
        // `Bearer` leaves its transport's challenge; an app's own source leaves none.
        let challenge = parts.extensions.get::<Challenge>().cloned();
        Ok(Self {
            handle,
            claims: Arc::new(claims),
            challenge: challenge.unwrap_or_default(),
            source: PhantomData,
        })
    }
}

/// `Option<Guard<..>>`: optional sign-in. A request that sent no credentials at all (no
/// `Authorization` header and no token cookie, or no session for an [`Authenticate`] of the
/// app's) is `None`; credentials that were sent are verified as for a `Guard`, and a bad one
/// is the same 401, never an anonymous request. A `Guard` it yields is handed to a
/// `#[guarded]` fn; `None` is served with reads that need no principal, such as the public
/// reads of a `read = "public"` table, on the router state's pool.
impl<S, DB, C, A> OptionalFromRequestParts<S> for Guard<DB, C, A>
where
    S: Send + Sync,
    DB: Store,
    C: GuardClaims,
    A: Authenticate<S, C>,
    DB::Source: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <Self as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(guard) => Ok(Some(guard)),
            Err(Error::Unauthorized(e)) if e.kind() == TokenCode::Missing => Ok(None),
            Err(e) => Err(e),
        }
    }
}
