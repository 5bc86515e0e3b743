//! Where a guard's principal comes from: a bearer token the router state's `Verifier` checks
//! (the default), or what an app's own [`Authenticate`] reads, such as a server-side session.

use axum_core::extract::FromRef;
use http::request::Parts;

use crate::Error;
use crate::jwt::{GuardClaims, Verifier};

/// Where the claims of a [`Guard`](crate::Guard) come from: its third type parameter,
/// `Guard<DB, C, A>`.
///
/// The default, [`Bearer`], reads the token where the router state's
/// [`Verifier`] says (an `Authorization` scheme or a cookie) and verifies it. An app whose
/// users sign in to a server-side session (`tower-sessions`, `axum-login`) implements this
/// trait on a type of its own that reads the session, and writes its guard as
/// `Guard<Sqlite, Claims, FromSession>`.
///
/// # The contract
///
/// The implementation vouches for the claims it returns: `#[guarded]` binds their subject into
/// every statement as the verified owner, and the policy's claims (`:jti`, `:iat`, fields)
/// likewise. Return claims only for a principal the request proved: a session the server
/// created at sign-in, found by an unguessable id, and still held by the store; never a value
/// the client chose (a header, a query parameter, an unsigned cookie). Refuse with an `Err`
/// (a [`TokenError`](crate::TokenError) of [`TokenCode::Missing`](crate::jwt::TokenCode)
/// is a 401, without `WWW-Authenticate`: a session has no scheme to challenge with), and no
/// statement runs.
///
/// [`Guard::trusted`](crate::Guard::trusted) differs: it builds a guard outside any request
/// (a background job acting for a user it read from storage) and checks nothing. An
/// `Authenticate` runs on every request, before the handler, and its refusal ends it.
pub trait Authenticate<S, C>: 'static {
    /// The caller's claims, or why the request is refused.
    fn authenticate(parts: &mut Parts, state: &S) -> impl Future<Output = Result<C, Error>> + Send;
}

/// The default source of a guard's claims: the request's token, read and verified by the
/// [`Verifier`] of the router state.
#[derive(Debug)]
pub enum Bearer {}

impl<S, C> Authenticate<S, C> for Bearer
where
    S: Send + Sync,
    C: GuardClaims,
    Verifier: FromRef<S>,
{
    async fn authenticate(parts: &mut Parts, state: &S) -> Result<C, Error> {
        let verifier = Verifier::from_ref(state);
        let (token, source) = verifier.read_token(&parts.headers, &parts.uri)?;
        let challenge = verifier.challenge(source);
        let claims = verifier.verify_async::<C>(token).await.map_err(|e| {
            tracing::info!(reason = e.code(), "guarded: bearer token refused");
            Error::Unauthorized(e.with_challenge(challenge.clone()))
        })?;
        // A refusal the guarded fn finds later (a revoked token) answers with the same one.
        parts.extensions.insert(challenge);
        Ok(claims)
    }
}
