//! [`JwksUrl`]: where a JWK set comes from and how it is kept fresh, with defaults and bounds.

use std::time::Duration;

use super::RemoteKeys;
use crate::jwt::error::VerifierError;
use crate::jwt::keys::Alg;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_MIN_CACHE: Duration = Duration::from_mins(1);
const DEFAULT_MAX_CACHE: Duration = Duration::from_hours(24);
const DEFAULT_MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_MAX_STALE: Duration = Duration::from_hours(24);

/// A fetch slower than this is an outage, not a slow server.
const MAX_TIMEOUT: Duration = Duration::from_mins(1);
/// Below this, refreshes triggered by tokens would load the key server at the token sender's
/// pace.
const MIN_REFRESH_FLOOR: Duration = Duration::from_secs(1);
/// A set is fetched at least this often, whatever its server says.
const MAX_CACHE_CEILING: Duration = Duration::from_hours(7 * 24);
/// Keys a provider revoked must stop verifying some day, even while its server is down.
const MAX_STALE_CEILING: Duration = Duration::from_hours(7 * 24);

/// Where a verifier's keys come from when they are published at a URL, and how they are kept
/// fresh. [`fetch`](Self::fetch) reads the set once, failing when it cannot, and returns the
/// [`RemoteKeys`] a verifier takes.
///
/// ```no_run
/// # use guarded_runtime::jwt::{JwksUrl, Verifier};
/// # async fn start() -> Result<(), guarded_runtime::VerifierError> {
/// let keys = JwksUrl::discover("https://id.example").fetch().await?;
/// let verifier = Verifier::builder()
///     .remote_keys(keys)
///     .issuer("https://id.example")
///     .audience("items-api")
///     .build()?;
/// # let _ = verifier; Ok(()) }
/// ```
///
/// - **HTTPS only**, for the set, the discovery document and any redirect; plain `http` only to
///   a loopback host (`127.0.0.1`, `[::1]`, `localhost`), for tests.
/// - **Cache:** a set stays fresh for its response's `Cache-Control: max-age`, held within
///   [`cache_bounds`](Self::cache_bounds) (60 s to 24 h by default; the lower bound without
///   `max-age`). A request finding it stale fetches it again first.
/// - **Unknown `kid`:** a token naming a key the set lacks fetches it again, once for all the
///   requests waiting on it, and at most once per
///   [`min_refresh_interval`](Self::min_refresh_interval) (30 s by default) whatever the tokens
///   say: a flood of made-up `kid`s costs the key server one request per interval.
/// - **Failures:** a fetch that fails, times out ([`timeout`](Self::timeout), 5 s by default)
///   or brings a set the strict reader refuses leaves the last good set in use, until it has
///   been stale for [`max_stale`](Self::max_stale) (24 h by default); past that, every token is
///   refused (503 `keys_unavailable`) until a fetch succeeds.
#[derive(Debug, Clone)]
#[must_use = "nothing is fetched until `fetch` is called"]
pub struct JwksUrl {
    settings: Settings,
}

#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) source: Source,
    pub(super) timeout: Duration,
    pub(super) min_cache: Duration,
    pub(super) max_cache: Duration,
    pub(super) min_refresh_interval: Duration,
    pub(super) max_stale: Duration,
    pub(super) default_alg: Option<Alg>,
}

#[derive(Debug, Clone)]
pub(super) enum Source {
    JwksUrl(String),
    /// An issuer whose `/.well-known/openid-configuration` names the set's URL.
    Issuer(String),
}

impl JwksUrl {
    /// The JWK set at `url` (`{"keys": [...]}`).
    pub fn new(url: impl Into<String>) -> Self {
        Self::with(Source::JwksUrl(url.into()))
    }

    /// The JWK set named by the `jwks_uri` of `issuer`'s discovery document
    /// (`{issuer}/.well-known/openid-configuration`), whose `issuer` must be exactly `issuer`
    /// (`OpenID` Connect Discovery §4.3). Set the verifier's [`issuer`](super::super::VerifierBuilder::issuer)
    /// to the same value.
    pub fn discover(issuer: impl Into<String>) -> Self {
        Self::with(Source::Issuer(issuer.into()))
    }

    fn with(source: Source) -> Self {
        Self {
            settings: Settings {
                source,
                timeout: DEFAULT_TIMEOUT,
                min_cache: DEFAULT_MIN_CACHE,
                max_cache: DEFAULT_MAX_CACHE,
                min_refresh_interval: DEFAULT_MIN_REFRESH_INTERVAL,
                max_stale: DEFAULT_MAX_STALE,
                default_alg: None,
            },
        }
    }

    /// The longest one HTTP request may take, connection included (default 5 s, at most 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// How long a fetched set stays fresh: the server's `max-age`, raised to `min` and lowered
    /// to `max` (default 60 s and 24 h; `max` at most 7 days).
    pub fn cache_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.settings.min_cache = min;
        self.settings.max_cache = max;
        self
    }

    /// The shortest time between two fetches, however many unknown `kid`s arrive (default
    /// 30 s, at least 1 s).
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.settings.min_refresh_interval = interval;
        self
    }

    /// How long past its freshness the last good set keeps verifying while every refresh fails
    /// (default 24 h, at most 7 days).
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.settings.max_stale = max_stale;
        self
    }

    /// The algorithm of the set's RSA keys that name none, as
    /// [`VerifierBuilder::default_alg`](crate::jwt::VerifierBuilder::default_alg) does for a
    /// set given to the builder (RS* or PS* only). Without it, a set found by
    /// [`discover`](Self::discover) takes the one RSA algorithm the document's
    /// `id_token_signing_alg_values_supported` lists, if it lists exactly one; never the
    /// token's header.
    pub fn default_alg(mut self, alg: Alg) -> Self {
        self.settings.default_alg = Some(alg);
        self
    }

    /// Checks the settings and fetches the set: an unreachable server, an error status or a
    /// set the strict reader refuses is an error, so an app does not start without keys.
    pub async fn fetch(self) -> Result<RemoteKeys, VerifierError> {
        let s = &self.settings;
        if s.timeout.is_zero() || s.timeout > MAX_TIMEOUT {
            return Err(VerifierError::new("JWK set timeout must be 1 ms to 60 s"));
        }
        if s.min_cache.is_zero() || s.min_cache > s.max_cache || s.max_cache > MAX_CACHE_CEILING {
            return Err(VerifierError::new(
                "JWK set cache bounds must be 0 < min <= max <= 7 days",
            ));
        }
        if s.min_refresh_interval < MIN_REFRESH_FLOOR {
            return Err(VerifierError::new(
                "JWK set min_refresh_interval must be at least 1 s",
            ));
        }
        if s.max_stale > MAX_STALE_CEILING {
            return Err(VerifierError::new(
                "JWK set max_stale must be at most 7 days",
            ));
        }
        if let Some(alg) = s.default_alg.filter(|alg| !alg.is_rsa()) {
            return Err(VerifierError::new(format!(
                "default_alg {alg}: it names the algorithm of RSA keys without one (RS* or PS*)"
            )));
        }
        RemoteKeys::first(self.settings).await
    }
}
