//! What verification reports: why a token was refused, and why a verifier could not be built.

use std::sync::Arc;

/// Why a token was refused: the `code` member of the 401's problem body and of the trace
/// event. Part of the HTTP contract: a code, once published, keeps its spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenCode {
    /// `missing`: no `Authorization` header.
    Missing,
    /// `malformed`: not `Bearer <token>`, not three segments of base64url, or a segment that
    /// is not JSON.
    Malformed,
    /// `not_an_object`: a header or payload that is JSON but not an object.
    NotAnObject,
    /// `duplicate_member`: a header or payload naming a member twice.
    DuplicateMember,
    /// `too_long`: longer than the verifier's `max_token_len`, refused before decoding.
    TooLong,
    /// `bad_algorithm`: `alg` is not exactly the algorithm of the key.
    BadAlgorithm,
    /// `crit`: a `crit` header (no extension is implemented).
    Crit,
    /// `unsupported_header`: a header member that changes the meaning of the signature
    /// (`b64`).
    UnsupportedHeader,
    /// `key_in_header`: a key or key location in the header (`jwk`, `jku`, `x5u`, `x5c`).
    KeyInHeader,
    /// `bad_type`: `typ` is not the configured one.
    BadType,
    /// `unknown_kid`: no key has this `kid`.
    UnknownKid,
    /// `kid_required`: several keys are configured and the token names none.
    KidRequired,
    /// `bad_signature`: the signature does not verify with the key.
    BadSignature,
    /// `expired`: `exp` is past, leeway included.
    Expired,
    /// `lifetime_too_long`: `exp` is further ahead than the verifier's `max_lifetime`.
    LifetimeTooLong,
    /// `not_yet_valid`: `nbf` or `iat` is in the future, leeway included.
    NotYetValid,
    /// `missing_claim`: `exp` or `sub` is absent, or `iss`, `aud`, `azp`, `client_id` or
    /// `token_use` while one is configured; or `jti`/`iat` while a policy condition of the
    /// guarded fn binds it.
    MissingClaim,
    /// `bad_claim`: a registered claim of the wrong type (a time that is not an integer, a
    /// `jti` that is not a string).
    BadClaim,
    /// `bad_subject`: `sub` is not a string in the claims' subject type's canonical form.
    BadSubject,
    /// `bad_issuer`: `iss` is not the configured issuer.
    BadIssuer,
    /// `bad_audience`: `aud` is not the configured audience, nor an array holding it (with
    /// [`audience_alone`](super::VerifierBuilder::audience_alone): holding only it).
    BadAudience,
    /// `bad_azp`: `azp` (the party the token was issued to) is not the configured one, or not a
    /// string.
    BadAuthorizedParty,
    /// `bad_client_id`: `client_id` is not the configured one, or not a string.
    BadClientId,
    /// `bad_token_use`: `token_use` is not the configured one (an ID token where an access
    /// token is expected).
    BadTokenUse,
    /// `bad_claims`: the payload does not deserialize into the application's claims type.
    ClaimsType,
    /// `revoked`: the token verified, but the policy's `[token] valid` condition (a logout, a
    /// "sign out everywhere") no longer holds for it; found by a guarded fn, in the database.
    Revoked,
    /// `keys_unavailable`: the verifier's keys come from a URL, and every fetch failed for
    /// longer than its `max_stale`: no token verifies until one succeeds. Answered 503 with
    /// `Retry-After` and no challenge: the server's keys are at fault, not the token.
    KeysUnavailable,
}

impl TokenCode {
    /// The code as it appears in responses and traces.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::NotAnObject => "not_an_object",
            Self::DuplicateMember => "duplicate_member",
            Self::TooLong => "too_long",
            Self::BadAlgorithm => "bad_algorithm",
            Self::Crit => "crit",
            Self::UnsupportedHeader => "unsupported_header",
            Self::KeyInHeader => "key_in_header",
            Self::BadType => "bad_type",
            Self::UnknownKid => "unknown_kid",
            Self::KidRequired => "kid_required",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::LifetimeTooLong => "lifetime_too_long",
            Self::NotYetValid => "not_yet_valid",
            Self::MissingClaim => "missing_claim",
            Self::BadClaim => "bad_claim",
            Self::BadSubject => "bad_subject",
            Self::BadIssuer => "bad_issuer",
            Self::BadAudience => "bad_audience",
            Self::BadAuthorizedParty => "bad_azp",
            Self::BadClientId => "bad_client_id",
            Self::BadTokenUse => "bad_token_use",
            Self::ClaimsType => "bad_claims",
            Self::Revoked => "revoked",
            Self::KeysUnavailable => "keys_unavailable",
        }
    }
}

/// Why a token was refused. The code is short and safe to show; the token never is.
///
/// A refusal by a [`Verifier`](super::Verifier) carries the challenge of the transport the
/// token came by, which the 401 sends as `WWW-Authenticate`: the configured scheme's name
/// (`Bearer` unless [`scheme`](super::VerifierBuilder::scheme) says otherwise), with
/// `error="invalid_token"` unless no credentials were sent (RFC 6750 §3.1); none for a token
/// read from a cookie. One made with [`TokenError::new`] (an app's
/// [`Authenticate`](crate::Authenticate), a session) carries none: the 401 has no
/// `WWW-Authenticate` unless the app sets one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    kind: TokenCode,
    challenge: Challenge,
}

/// The `WWW-Authenticate` challenge of a refusal: an `Authorization` scheme, or none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// No challenge: a cookie, a session, an app's own refusal.
    #[default]
    None,
    /// The scheme's name, an HTTP token (checked when the verifier is built).
    Scheme(Arc<str>),
}

impl TokenError {
    /// A refusal for `kind`, e.g. [`TokenCode::Missing`] from an
    /// [`Authenticate`](crate::Authenticate) that found no session. It carries no challenge.
    #[must_use]
    pub const fn new(kind: TokenCode) -> Self {
        Self {
            kind,
            challenge: Challenge::None,
        }
    }

    /// Why, as a value to match on.
    #[must_use]
    pub const fn kind(&self) -> TokenCode {
        self.kind
    }

    /// A short machine-readable reason, e.g. `expired`, `bad_signature`, `missing`: see
    /// [`TokenCode`] for every one.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The `WWW-Authenticate` value a 401 for this refusal carries, if any: `Token` for a
    /// request without credentials under `scheme("Token")`, `Bearer error="invalid_token"`
    /// for a refused bearer token.
    #[must_use]
    pub fn challenge(&self) -> Option<String> {
        match &self.challenge {
            Challenge::None => None,
            Challenge::Scheme(scheme) if self.kind == TokenCode::Missing => {
                Some(scheme.to_string())
            }
            Challenge::Scheme(scheme) => Some(format!(r#"{scheme} error="invalid_token""#)),
        }
    }

    /// This refusal, answered with `challenge`.
    pub(crate) fn with_challenge(mut self, challenge: Challenge) -> Self {
        self.challenge = challenge;
        self
    }
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid bearer token ({})", self.code())
    }
}

impl std::error::Error for TokenError {}

/// Why a verifier could not be built: a weak secret, a key that does not load, a policy out of
/// bounds, or a crypto backend that failed its self-test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierError(String);

impl VerifierError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl std::fmt::Display for VerifierError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VerifierError {}
