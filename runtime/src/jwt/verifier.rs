//! The [`Verifier`]: one call from token text to claims, in the order the module documentation
//! of [`jwt`](super) gives.

use std::sync::Arc;

use super::claims::GuardClaims;
use super::error::{Challenge, TokenCode, TokenError};
use super::key_source::KeySource;
use super::keys::ring::KeyRing;
use super::policy::Policy;
use super::transport::{Source, Transport};
use super::{header, rules, token};

/// Verifies bearer tokens. Cheap to clone; put it in the router state.
///
/// Build one with [`Verifier::hs256`] for the common case, or [`Verifier::builder`] for other
/// keys, a JWK set, issuer, audience and the time policy.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    keys: KeySource,
    policy: Policy,
    transport: Transport,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.inner.keys.len())
            .field("policy", &self.inner.policy)
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

/// What the signature layer hands on: the verified payload bytes.
pub(crate) struct Signed {
    payload: Vec<u8>,
}

impl Verifier {
    pub(crate) fn from_parts(keys: KeyRing, policy: Policy, transport: Transport) -> Self {
        Self::from_source(KeySource::Fixed(Arc::new(keys)), policy, transport)
    }

    pub(crate) fn from_source(keys: KeySource, policy: Policy, transport: Transport) -> Self {
        Self {
            inner: Arc::new(Inner {
                keys,
                policy,
                transport,
            }),
        }
    }

    /// The request's token, from where this verifier reads it: the `Authorization` header of
    /// its scheme (`Bearer` unless [`scheme`](super::VerifierBuilder::scheme) says otherwise)
    /// or its [`cookie`](super::VerifierBuilder::cookie). Unverified: pass it to
    /// [`verify`](Self::verify).
    pub fn token_of<'h>(
        &self,
        headers: &'h http::HeaderMap,
        uri: &http::Uri,
    ) -> Result<&'h str, crate::Error> {
        self.inner.transport.token(headers, uri)
    }

    /// Verifies `token` and returns its claims. Nothing reads a claim before this returns, and
    /// the claims returned are parsed from the bytes whose signature was just checked. A
    /// refusal carries the challenge of this verifier's `Authorization` scheme.
    pub fn verify<C: GuardClaims>(&self, token: &str) -> Result<C, TokenError> {
        self.verify_claims(token)
            .map_err(|e| e.with_challenge(self.challenge(Source::Header)))
    }

    fn verify_claims<C: GuardClaims>(&self, token: &str) -> Result<C, TokenError> {
        let signed = self.verify_signature(token)?;
        rules::check::<C::Subject>(&signed.payload, &self.inner.policy, rules::now())?;
        serde_json::from_slice(&signed.payload).map_err(|_| TokenError::new(TokenCode::ClaimsType))
    }

    /// [`verify`](Self::verify), after bringing keys fetched from a URL up to date
    /// (`JwksUrl`, feature `jwks-url`): a set whose cache time ran out is
    /// fetched again first, and a token naming a `kid` the set lacks fetches it again once
    /// (within the refresh limits) before it is refused. The guard calls this; with keys given
    /// to the builder it is `verify`.
    pub async fn verify_async<C: GuardClaims>(&self, token: &str) -> Result<C, TokenError> {
        let keys = &self.inner.keys;
        keys.refresh_if_stale().await;
        match self.verify(token) {
            Err(e) if e.kind() == TokenCode::UnknownKid => {
                let kid = token::split(token, self.inner.policy.max_token_len)
                    .and_then(|parts| header::parse(parts.header))
                    .ok()
                    .and_then(|header| header.kid);
                match kid {
                    Some(kid) if keys.refresh_for(&kid).await => self.verify(token),
                    _ => Err(e),
                }
            }
            verified => verified,
        }
    }

    /// The request's token and where it came from, for the guard's own extraction.
    pub(crate) fn read_token<'h>(
        &self,
        headers: &'h http::HeaderMap,
        uri: &http::Uri,
    ) -> Result<(&'h str, Source), crate::Error> {
        self.inner.transport.read(headers, uri)
    }

    /// The challenge of a refusal of a token that came from `source`.
    pub(crate) fn challenge(&self, source: Source) -> Challenge {
        self.inner.transport.challenge(source)
    }

    /// Steps 1 to 4 of [`Verifier::verify`]: everything up to and including the signature.
    fn verify_signature(&self, token: &str) -> Result<Signed, TokenError> {
        let policy = &self.inner.policy;
        let parts = token::split(token, policy.max_token_len)?;
        let header = header::parse(parts.header)?;
        let keys = self.inner.keys.current()?;
        let key = keys.select(header.kid.as_deref())?;
        header.check(key.alg(), policy.typ.as_deref())?;
        if !key.verifies(parts.signature, parts.signing_input)? {
            return Err(TokenError::new(TokenCode::BadSignature));
        }
        Ok(Signed {
            payload: token::decode_segment(parts.payload)?,
        })
    }

    /// The signature layer alone, for the Wycheproof conformance test: the same code `verify`
    /// runs up to and including the signature, returning the verified payload **without any
    /// claim check**. Test builds only, so nothing can authorize with it.
    #[cfg(test)]
    pub(crate) fn signature_layer(&self, token: &str) -> Result<Vec<u8>, TokenError> {
        self.verify_signature(token).map(|signed| signed.payload)
    }
}
