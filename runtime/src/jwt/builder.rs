//! Building a verifier: keys, policy, and the checks that refuse a weak configuration at
//! start-up.

use std::collections::HashMap;
use std::time::Duration;

use super::keys::Key;
use super::{TokenCode, TokenError, Verifier, VerifierError, jwks, selftest};

/// Clock skew tolerated on `exp`, `nbf` and `iat` unless configured.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// The largest leeway a verifier accepts: past a minute, skew is a broken clock, not drift.
pub const MAX_LEEWAY: Duration = Duration::from_mins(1);
/// The furthest `exp` may lie ahead of now unless configured: a day.
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_hours(24);
/// The largest maximum lifetime a verifier accepts: 30 days. A bearer token living longer is a
/// refresh token or a password, and belongs in neither an `Authorization` header nor here.
pub const MAX_LIFETIME_CEILING: Duration = Duration::from_hours(30 * 24);
/// The longest token read unless configured, in bytes (8 KiB, what most servers allow for a
/// whole header line).
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;
/// Bounds of [`VerifierBuilder::max_token_len`].
const TOKEN_LEN_BOUNDS: std::ops::RangeInclusive<usize> = 256..=64 * 1024;

/// What every token must satisfy besides its signature.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// Seconds.
    pub leeway: u64,
    /// Seconds.
    pub max_lifetime: u64,
    pub typ: Option<String>,
    pub max_token_len: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: None,
            leeway: DEFAULT_LEEWAY.as_secs(),
            max_lifetime: DEFAULT_MAX_LIFETIME.as_secs(),
            typ: None,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
        }
    }
}

/// The keys of a verifier and how a token's `kid` picks one.
pub(crate) enum KeyRing {
    /// One key configured without a `kid`: every token is checked against it, whatever `kid`
    /// it names (the `kid` cannot pick anything else).
    Single(Key),
    /// Keys by `kid`. A token names one that exists, or carries none while exactly one key is
    /// configured; nothing else is tried.
    ByKid(HashMap<String, Key>),
}

impl KeyRing {
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Single(_) => 1,
            Self::ByKid(keys) => keys.len(),
        }
    }

    /// The key for a token's `kid`: a map lookup, never a search.
    pub(crate) fn select(&self, kid: Option<&str>) -> Result<&Key, TokenError> {
        match (self, kid) {
            (Self::Single(key), _) => Ok(key),
            (Self::ByKid(keys), Some(kid)) => {
                keys.get(kid).ok_or(TokenError::new(TokenCode::UnknownKid))
            }
            (Self::ByKid(keys), None) if keys.len() == 1 => {
                Ok(keys.values().next().expect("one key"))
            }
            (Self::ByKid(_), None) => Err(TokenError::new(TokenCode::KidRequired)),
        }
    }
}

/// Configures a [`Verifier`]: keys, then policy, then [`build`](Self::build).
///
/// ```
/// # use guarded_runtime::jwt::{Key, Verifier};
/// # use std::time::Duration;
/// # fn main() -> Result<(), guarded_runtime::VerifierError> {
/// let verifier = Verifier::builder()
///     .key(Key::hs256(b"0123456789abcdef0123456789abcdef")?)
///     .issuer("https://id.example")
///     .audience("items-api")
///     .leeway(Duration::from_secs(10))
///     .max_lifetime(Duration::from_secs(3600))
///     .build()?;
/// # let _ = verifier; Ok(()) }
/// ```
#[derive(Debug, Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct VerifierBuilder {
    unnamed: Vec<Key>,
    named: Vec<(String, Key)>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: Option<Duration>,
    max_lifetime: Option<Duration>,
    typ: Option<String>,
    max_token_len: Option<usize>,
}

impl VerifierBuilder {
    /// The one key, without a `kid`. Only valid as the verifier's single key; use
    /// [`key_with_kid`](Self::key_with_kid) for several.
    pub fn key(mut self, key: Key) -> Self {
        self.unnamed.push(key);
        self
    }

    /// A key selected by tokens whose header names `kid`. Several keys allow rotation.
    pub fn key_with_kid(mut self, kid: impl Into<String>, key: Key) -> Self {
        self.named.push((kid.into(), key));
        self
    }

    /// Every key of a JWK set (`{"keys": [...]}`) usable for verification, by `kid`.
    ///
    /// A key whose `use` is not `sig`, or whose `key_ops` lack `verify`, is left out (it is
    /// not for verifying); one that is meant for verification but cannot be one of ours
    /// (unknown `alg`, RSA or `oct` without `alg`, private members, a short secret) is an
    /// error. The set is read here, once: nothing is ever fetched.
    pub fn jwk_set(mut self, json: &str) -> Result<Self, VerifierError> {
        self.named.extend(jwks::parse(json)?);
        Ok(self)
    }

    /// Tokens must carry `iss` equal to this.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Tokens must carry `aud` equal to this, as a single string. An `aud` array is refused
    /// even when it contains this value: a token minted for several services can be replayed
    /// from any of them.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat` (default [`DEFAULT_LEEWAY`], at most
    /// [`MAX_LEEWAY`]; whole seconds).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = Some(leeway);
        self
    }

    /// The furthest `exp` may lie ahead of now (default [`DEFAULT_MAX_LIFETIME`], at most
    /// [`MAX_LIFETIME_CEILING`]).
    pub fn max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.max_lifetime = Some(max_lifetime);
        self
    }

    /// Tokens must carry this `typ` (compared case-insensitively, `application/` optional).
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// The longest token read, in bytes (default [`DEFAULT_MAX_TOKEN_LEN`]; 256 to 65536).
    pub fn max_token_len(mut self, len: usize) -> Self {
        self.max_token_len = Some(len);
        self
    }

    /// Checks the configuration, runs the crypto self-test and returns the verifier.
    pub fn build(self) -> Result<Verifier, VerifierError> {
        let policy = self.policy()?;
        selftest::run()?;
        let keys = Self::ring(self.unnamed, self.named)?;
        Ok(Verifier::from_parts(keys, policy))
    }

    fn policy(&self) -> Result<Policy, VerifierError> {
        let leeway = self.leeway.unwrap_or(DEFAULT_LEEWAY);
        if leeway > MAX_LEEWAY {
            return Err(VerifierError::new(format!(
                "leeway of {} s exceeds the maximum of {} s",
                leeway.as_secs(),
                MAX_LEEWAY.as_secs()
            )));
        }
        let max_lifetime = self.max_lifetime.unwrap_or(DEFAULT_MAX_LIFETIME);
        if max_lifetime.as_secs() == 0 || max_lifetime > MAX_LIFETIME_CEILING {
            return Err(VerifierError::new(format!(
                "max lifetime must be between 1 s and {} days",
                MAX_LIFETIME_CEILING.as_secs() / 86_400
            )));
        }
        let max_token_len = self.max_token_len.unwrap_or(DEFAULT_MAX_TOKEN_LEN);
        if !TOKEN_LEN_BOUNDS.contains(&max_token_len) {
            return Err(VerifierError::new(format!(
                "max token length must be between {} and {} bytes",
                TOKEN_LEN_BOUNDS.start(),
                TOKEN_LEN_BOUNDS.end()
            )));
        }
        for (what, value) in [
            ("issuer", &self.issuer),
            ("audience", &self.audience),
            ("typ", &self.typ),
        ] {
            if value.as_deref().is_some_and(str::is_empty) {
                return Err(VerifierError::new(format!(
                    "an empty {what} matches nothing"
                )));
            }
        }
        Ok(Policy {
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            leeway: leeway.as_secs(),
            max_lifetime: max_lifetime.as_secs(),
            typ: self.typ.clone(),
            max_token_len,
        })
    }

    fn ring(mut unnamed: Vec<Key>, named: Vec<(String, Key)>) -> Result<KeyRing, VerifierError> {
        match (unnamed.len(), named.len()) {
            (0, 0) => Err(VerifierError::new(
                "no verification key: add one with `key`, `key_with_kid` or `jwk_set`",
            )),
            (1, 0) => Ok(KeyRing::Single(unnamed.remove(0))),
            (0, _) => {
                let mut keys = HashMap::with_capacity(named.len());
                for (kid, key) in named {
                    if kid.is_empty() {
                        return Err(VerifierError::new("a kid must not be empty"));
                    }
                    if keys.contains_key(&kid) {
                        return Err(VerifierError::new(format!("kid {kid:?} is given twice")));
                    }
                    keys.insert(kid, key);
                }
                Ok(KeyRing::ByKid(keys))
            }
            _ => Err(VerifierError::new(
                "with several keys, each needs a kid: use `key_with_kid`",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key::hs256([7; 32]).expect("key")
    }

    fn error(builder: VerifierBuilder) -> String {
        builder.build().expect_err("must not build").to_string()
    }

    #[test]
    fn secrets() {
        let short = Verifier::hs256(b"short")
            .expect_err("short secret")
            .to_string();
        assert!(
            short.contains("5 bytes") && short.contains("at least 32"),
            "{short}"
        );
        assert!(Verifier::hs256(b"").is_err());
        assert!(Verifier::hs256([7; 31]).is_err());
        assert!(Verifier::hs256([7; 32]).is_ok());
    }

    #[test]
    fn keys() {
        assert!(error(Verifier::builder()).contains("no verification key"));
        assert!(error(Verifier::builder().key(key()).key(key())).contains("each needs a kid"));
        assert!(error(Verifier::builder().key(key()).key_with_kid("a", key())).contains("kid"));
        let twice = Verifier::builder()
            .key_with_kid("a", key())
            .key_with_kid("a", key());
        assert!(error(twice).contains("twice"));
        assert!(error(Verifier::builder().key_with_kid("", key())).contains("empty"));
        assert!(
            Verifier::builder()
                .key_with_kid("a", key())
                .key_with_kid("b", key())
                .build()
                .is_ok()
        );
    }

    #[test]
    fn policy_bounds() {
        let with = || Verifier::builder().key(key());
        assert!(error(with().leeway(Duration::from_secs(61))).contains("leeway"));
        assert!(with().leeway(MAX_LEEWAY).build().is_ok());
        assert!(with().leeway(Duration::ZERO).build().is_ok());
        assert!(error(with().max_lifetime(Duration::ZERO)).contains("lifetime"));
        let month = MAX_LIFETIME_CEILING + Duration::from_secs(1);
        assert!(error(with().max_lifetime(month)).contains("lifetime"));
        assert!(error(with().max_token_len(100)).contains("token length"));
        assert!(error(with().max_token_len(1 << 20)).contains("token length"));
        assert!(error(with().issuer("")).contains("issuer"));
        assert!(error(with().audience("")).contains("audience"));
        assert!(error(with().typ("")).contains("typ"));
    }

    #[test]
    fn kid_selection() {
        let single = KeyRing::Single(key());
        assert!(single.select(None).is_ok());
        assert!(single.select(Some("anything")).is_ok());
        let mut one = HashMap::new();
        one.insert("a".to_owned(), key());
        let one = KeyRing::ByKid(one);
        assert!(one.select(None).is_ok());
        assert!(one.select(Some("a")).is_ok());
        assert_eq!(
            one.select(Some("b")).err().map(|e| e.code()),
            Some("unknown_kid")
        );
        let mut two = HashMap::new();
        two.insert("a".to_owned(), key());
        two.insert("b".to_owned(), key());
        let two = KeyRing::ByKid(two);
        assert_eq!(
            two.select(None).err().map(|e| e.code()),
            Some("kid_required")
        );
        assert_eq!(
            two.select(Some("../../etc/passwd")).err().map(|e| e.code()),
            Some("unknown_kid")
        );
    }
}
