//! Building a verifier: [`Verifier::hs256`] for the common case, [`Verifier::builder`] for the
//! rest. The builder collects keys and policy; at start-up, [`build`](VerifierBuilder::build)
//! refuses a weak configuration through the checks of the policy (`policy.rs`), of the key set
//! (`keys/ring.rs`) and of the crypto backend (`keys/probe.rs`).

use std::time::Duration;

use super::error::VerifierError;
use super::jwks;
use super::keys::ring::KeyRing;
use super::keys::{Alg, Key, probe};
use super::policy::{self, Policy};
use super::transport::Transport;
use super::verifier::Verifier;

impl Verifier {
    /// A verifier for HS256 tokens signed with `secret` (at least
    /// [`MIN_HMAC_SECRET`](super::MIN_HMAC_SECRET) bytes), with the default policy. Shortcut for
    /// `Verifier::builder().key(Key::hs256(secret)?).build()`.
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, VerifierError> {
        Self::builder().key(Key::hs256(secret)?).build()
    }

    /// Starts a verifier: add keys and policy, then [`VerifierBuilder::build`].
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
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
    from_sets: Vec<(String, jwks::Entry)>,
    default_alg: Option<Alg>,
    policy: policy::Settings,
    scheme: Option<String>,
    cookie: Option<String>,
    #[cfg(feature = "jwks-url")]
    remote: Option<super::RemoteKeys>,
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
    /// (unknown `alg`, `oct` without `alg`, private members, a short secret) is an error, and
    /// so is an RSA key without `alg` unless [`default_alg`](Self::default_alg) names its
    /// algorithm. Members other than the key's (`x5c`, `x5t`, `issuer`) are ignored. The set
    /// is read here, once: nothing is ever fetched.
    pub fn jwk_set(mut self, json: &str) -> Result<Self, VerifierError> {
        self.from_sets.extend(jwks::parse(json)?);
        Ok(self)
    }

    /// The keys of a JWK set URL, fetched and kept fresh (see [`JwksUrl`](super::JwksUrl)):
    /// the verifier's only keys.
    #[cfg(feature = "jwks-url")]
    pub fn remote_keys(mut self, keys: super::RemoteKeys) -> Self {
        self.remote = Some(keys);
        self
    }

    /// The algorithm of the RSA keys of a [`jwk_set`](Self::jwk_set) that name none (RFC 7517
    /// §4.4 makes `alg` optional; Microsoft Entra ID and Azure AD B2C publish keys without
    /// it): RS256 for them. Each such key is bound to this one algorithm as if its JWK said
    /// it; a token's `alg` must still be exactly that, and is never what decides it. A key
    /// that names its `alg` keeps its own. Only RS* and PS* are accepted.
    pub fn default_alg(mut self, alg: Alg) -> Self {
        self.default_alg = Some(alg);
        self
    }

    /// Tokens must carry `iss` equal to this.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.policy.issuer = Some(issuer.into());
        self
    }

    /// Tokens must carry `aud`: this string, or an array of strings holding it (RFC 7519
    /// §4.1.3; Auth0 issues `[api, userinfo]`). The array's other members are allowed: the
    /// token was issued for each of them, so any of them can replay it here; refuse them with
    /// [`audience_alone`](Self::audience_alone). Without an audience configured, a token
    /// carrying `aud` is refused.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.policy.audience = Some(audience.into());
        self
    }

    /// An `aud` array must hold nothing but the [`audience`](Self::audience): a token also
    /// issued for another service, which could replay it here, is refused.
    pub fn audience_alone(mut self) -> Self {
        self.policy.audience_alone = true;
        self
    }

    /// Tokens must carry `azp` (the OIDC client the token was issued to) equal to
    /// this: Google's and Keycloak's tokens carry it, and Entra ID v2 access tokens.
    pub fn authorized_party(mut self, azp: impl Into<String>) -> Self {
        self.policy.authorized_party = Some(azp.into());
        self
    }

    /// Tokens must carry `client_id` equal to this: Amazon Cognito's access tokens name the
    /// app client there (and carry no `aud`).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.policy.client_id = Some(client_id.into());
        self
    }

    /// Tokens must carry `token_use` equal to this: Amazon Cognito's `"access"` or `"id"`, so
    /// an ID token is not taken where an access token is expected.
    pub fn token_use(mut self, token_use: impl Into<String>) -> Self {
        self.policy.token_use = Some(token_use.into());
        self
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat` (default
    /// [`DEFAULT_LEEWAY`](policy::DEFAULT_LEEWAY), at most [`MAX_LEEWAY`](policy::MAX_LEEWAY);
    /// whole seconds).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.policy.leeway = Some(leeway);
        self
    }

    /// The furthest `exp` may lie ahead of now (default
    /// [`DEFAULT_MAX_LIFETIME`](policy::DEFAULT_MAX_LIFETIME), at most
    /// [`MAX_LIFETIME_CEILING`](policy::MAX_LIFETIME_CEILING)).
    pub fn max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.policy.max_lifetime = Some(max_lifetime);
        self
    }

    /// Tokens must carry this `typ` (compared case-insensitively, `application/` optional).
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.policy.typ = Some(typ.into());
        self
    }

    /// The longest token read, in bytes (default
    /// [`DEFAULT_MAX_TOKEN_LEN`](policy::DEFAULT_MAX_TOKEN_LEN); 256 to 65536).
    pub fn max_token_len(mut self, len: usize) -> Self {
        self.policy.max_token_len = Some(len);
        self
    }

    /// The `Authorization` scheme the token comes with, instead of RFC 6750's `Bearer`: an
    /// app sending `Authorization: Token <jwt>` sets `"Token"`. Compared case-insensitively;
    /// one scheme per verifier.
    pub fn scheme(mut self, scheme: impl Into<String>) -> Self {
        self.scheme = Some(scheme.into());
        self
    }

    /// The cookie that may carry the token instead of the `Authorization` header (a request
    /// with both, or with the cookie twice, is a 400).
    ///
    /// A browser sends a cookie with every request to the site, cross-site ones included:
    /// set it `HttpOnly`, `Secure` and `SameSite=Strict` (or `Lax`, with no state-changing
    /// GET), or check `Origin` on writes. The guard verifies the token in it exactly as in a
    /// header; it does not defend against cross-site request forgery.
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        self.cookie = Some(name.into());
        self
    }

    /// Checks the configuration, runs the crypto self-test and returns the verifier.
    pub fn build(self) -> Result<Verifier, VerifierError> {
        let policy = Policy::new(self.policy)?;
        let transport = Transport::new(self.scheme, self.cookie)?;
        probe::backend()?;
        if let Some(alg) = self.default_alg.filter(|alg| !alg.is_rsa()) {
            return Err(VerifierError::new(format!(
                "default_alg {alg}: it names the algorithm of RSA keys without one (RS* or PS*)"
            )));
        }
        let mut named = self.named;
        for (kid, entry) in self.from_sets {
            let key = entry.key(&kid, self.default_alg)?;
            named.push((kid, key));
        }
        #[cfg(feature = "jwks-url")]
        if let Some(remote) = self.remote {
            if !self.unnamed.is_empty() || !named.is_empty() {
                return Err(VerifierError::new(
                    "remote_keys are the verifier's only keys: add no `key`, `key_with_kid` or `jwk_set`",
                ));
            }
            let keys = super::key_source::KeySource::Remote(remote);
            return Ok(Verifier::from_source(keys, policy, transport));
        }
        let keys = KeyRing::new(self.unnamed, named)?;
        Ok(Verifier::from_parts(keys, policy, transport))
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
        assert!(with().leeway(policy::MAX_LEEWAY).build().is_ok());
        assert!(with().leeway(Duration::ZERO).build().is_ok());
        assert!(error(with().max_lifetime(Duration::ZERO)).contains("lifetime"));
        let month = policy::MAX_LIFETIME_CEILING + Duration::from_secs(1);
        assert!(error(with().max_lifetime(month)).contains("lifetime"));
        assert!(error(with().max_token_len(100)).contains("token length"));
        assert!(error(with().max_token_len(1 << 20)).contains("token length"));
        assert!(error(with().issuer("")).contains("issuer"));
        assert!(error(with().audience("")).contains("audience"));
        assert!(error(with().typ("")).contains("typ"));
    }
}
