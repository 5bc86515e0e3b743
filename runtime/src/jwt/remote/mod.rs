//! Keys from a URL (feature `jwks-url`): a JWK set fetched at start-up from its URL, or from the
//! `jwks_uri` of an issuer's discovery document, then kept fresh.
//!
//! - `config.rs`: [`JwksUrl`], the settings and their bounds;
//! - `http.rs`: the HTTP client, the HTTPS-only rule, the discovery document;
//! - `cache_control.rs`: how long a fetched set stays fresh;
//! - this file: [`RemoteKeys`], the last good set and when it may be fetched again.
//!
//! Every set fetched goes through the same strict JWK set reader as
//! [`jwk_set`](super::VerifierBuilder::jwk_set): a set that turns invalid is not taken, and the
//! last good one is kept.

mod cache_control;
mod config;
mod http;

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

pub use config::JwksUrl;

use super::error::{TokenCode, TokenError, VerifierError};
use super::jwks;
use super::keys::ring::KeyRing;
use config::Settings;

/// The keys of a JWK set URL, fetched by [`JwksUrl::fetch`]; give them to a verifier with
/// [`VerifierBuilder::remote_keys`](super::VerifierBuilder::remote_keys). Cheap to clone: clones
/// share one cache.
#[derive(Clone)]
pub struct RemoteKeys {
    shared: Arc<Shared>,
}

struct Shared {
    client: http::Client,
    url: String,
    settings: Settings,
    state: RwLock<State>,
    /// Held for the whole of a fetch: requests that need one wait for the fetch under way
    /// instead of starting their own (single flight).
    flight: tokio::sync::Mutex<()>,
}

struct State {
    ring: Arc<KeyRing>,
    /// Until when the set is fresh, from the server's `Cache-Control` within the bounds.
    fresh_until: Instant,
    /// The last fetch, good or not: the next one waits `min_refresh_interval` after it.
    tried_at: Instant,
}

impl std::fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteKeys")
            .field("url", &self.shared.url)
            .finish_non_exhaustive()
    }
}

impl RemoteKeys {
    /// The first fetch: any failure is an error, so a verifier never starts without keys.
    async fn first(mut settings: Settings) -> Result<Self, VerifierError> {
        let client = http::Client::new(settings.timeout)?;
        let url = match &settings.source {
            config::Source::JwksUrl(url) => url.clone(),
            config::Source::Issuer(issuer) => {
                let discovered = client.discover(issuer).await?;
                // The configured algorithm first: the app's word over the document's.
                settings.default_alg = settings.default_alg.or(discovered.rsa_alg);
                discovered.jwks_uri
            }
        };
        let (ring, max_age) = fetch_ring(&client, &url, &settings).await?;
        let now = Instant::now();
        Ok(Self {
            shared: Arc::new(Shared {
                client,
                url,
                state: RwLock::new(State {
                    ring: Arc::new(ring),
                    fresh_until: now + max_age,
                    tried_at: now,
                }),
                settings,
                flight: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The URL the set is fetched from (for a discovery document, its `jwks_uri`).
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// The set to verify with now: the last good one, unless it went stale more than
    /// `max_stale` ago (every refresh since failed), when no token verifies.
    pub(crate) fn current(&self) -> Result<Arc<KeyRing>, TokenError> {
        let state = self.read();
        if Instant::now() > state.fresh_until + self.shared.settings.max_stale {
            return Err(TokenError::new(TokenCode::KeysUnavailable));
        }
        Ok(Arc::clone(&state.ring))
    }

    pub(crate) async fn refresh_if_stale(&self) {
        if !self.stale() {
            return;
        }
        let _flight = self.shared.flight.lock().await;
        if self.stale() && self.may_fetch() {
            self.fetch().await;
        }
    }

    pub(crate) async fn refresh_for(&self, kid: &str) -> bool {
        if self.holds(kid) {
            return true;
        }
        let _flight = self.shared.flight.lock().await;
        // A fetch that ended while this request waited may have brought the key.
        if self.holds(kid) {
            return true;
        }
        if !self.may_fetch() {
            return false;
        }
        self.fetch().await;
        self.holds(kid)
    }

    /// One fetch; the caller holds `flight`. A set that does not come or does not read leaves
    /// the last good one in place.
    async fn fetch(&self) {
        let shared = &self.shared;
        self.write().tried_at = Instant::now();
        match fetch_ring(&shared.client, &shared.url, &shared.settings).await {
            Ok((ring, max_age)) => {
                let mut state = self.write();
                state.ring = Arc::new(ring);
                state.fresh_until = Instant::now() + max_age;
            }
            Err(error) => tracing::warn!(
                url = %shared.url,
                %error,
                "guarded: JWK set refresh failed; the last good set stays in use"
            ),
        }
    }

    fn holds(&self, kid: &str) -> bool {
        self.current()
            .is_ok_and(|ring| ring.select(Some(kid)).is_ok())
    }

    fn stale(&self) -> bool {
        Instant::now() >= self.read().fresh_until
    }

    fn may_fetch(&self) -> bool {
        self.read().tried_at.elapsed() >= self.shared.settings.min_refresh_interval
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.shared
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.shared
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The set at `url`, read strictly, and how long it stays fresh.
async fn fetch_ring(
    client: &http::Client,
    url: &str,
    settings: &Settings,
) -> Result<(KeyRing, Duration), VerifierError> {
    let in_set = |e: VerifierError| VerifierError::new(format!("JWK set at {url}: {e}"));
    let response = client.get(url).await.map_err(in_set)?;
    let mut keys = Vec::new();
    for (kid, entry) in jwks::parse(&response.body).map_err(in_set)? {
        let key = entry.key(&kid, settings.default_alg).map_err(in_set)?;
        keys.push((kid, key));
    }
    let ring = KeyRing::new(Vec::new(), keys).map_err(in_set)?;
    let max_age = cache_control::max_age(response.cache_control.as_deref())
        .unwrap_or(settings.min_cache)
        .clamp(settings.min_cache, settings.max_cache);
    Ok((ring, max_age))
}
