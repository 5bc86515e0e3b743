//! Bearer-token verification: one call returns claims only after signature and claims passed.

mod claims;

pub use claims::{Claims, GuardClaims, Subject};

use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};

/// Why a token was refused. The code is short and safe to show; the token never is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    code: &'static str,
}

impl TokenError {
    pub(crate) const fn new(code: &'static str) -> Self {
        Self { code }
    }

    /// A short machine-readable reason, e.g. `expired`, `bad_signature`, `missing`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        self.code
    }
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid bearer token ({})", self.code)
    }
}

impl std::error::Error for TokenError {}

/// Why a verifier could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierError(String);

impl std::fmt::Display for VerifierError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VerifierError {}

/// Verifies bearer tokens. Cheap to clone; put it in the router state.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

/// HMAC secrets shorter than this are refused: HS256 needs at least the hash size.
pub const MIN_HMAC_SECRET: usize = 32;

impl Verifier {
    /// A verifier for HS256 tokens signed with `secret` (at least 32 bytes).
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, VerifierError> {
        let secret = secret.as_ref();
        if secret.len() < MIN_HMAC_SECRET {
            return Err(VerifierError(format!(
                "HMAC secret is {} bytes; use at least {MIN_HMAC_SECRET} random bytes",
                secret.len()
            )));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Self {
            inner: Arc::new(Inner {
                key: DecodingKey::from_secret(secret),
                validation,
            }),
        })
    }

    /// Verifies `token` and returns its claims. Nothing reads a claim before this returns.
    pub fn verify<C: GuardClaims>(&self, token: &str) -> Result<C, TokenError> {
        let data = jsonwebtoken::decode::<C>(token, &self.inner.key, &self.inner.validation)
            .map_err(|e| TokenError::new(code_of(e.kind())))?;
        Ok(data.claims)
    }
}

fn code_of(kind: &jsonwebtoken::errors::ErrorKind) -> &'static str {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::ExpiredSignature => "expired",
        K::ImmatureSignature => "not_yet_valid",
        K::InvalidSignature => "bad_signature",
        K::InvalidAlgorithm | K::InvalidAlgorithmName => "bad_algorithm",
        K::MissingRequiredClaim(_) => "missing_claim",
        K::InvalidIssuer => "bad_issuer",
        K::InvalidAudience => "bad_audience",
        K::InvalidSubject => "bad_subject",
        _ => "malformed",
    }
}
