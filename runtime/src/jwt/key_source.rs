//! Where a verifier's keys live: fixed at build, or fetched from a URL and refreshed
//! (`remote/`, feature `jwks-url`). Either way a token is checked against one snapshot of the
//! keys, taken once per verification.

use std::sync::Arc;

use super::error::TokenError;
use super::keys::ring::KeyRing;

pub(crate) enum KeySource {
    /// The keys given to the builder.
    Fixed(Arc<KeyRing>),
    /// The keys of a JWK set URL, as last fetched.
    #[cfg(feature = "jwks-url")]
    Remote(super::remote::RemoteKeys),
}

impl KeySource {
    /// The keys to check a token against now.
    // Fixed keys never fail; fetched ones do once they are too stale.
    #[cfg_attr(not(feature = "jwks-url"), allow(clippy::unnecessary_wraps))]
    pub(crate) fn current(&self) -> Result<Arc<KeyRing>, TokenError> {
        match self {
            Self::Fixed(ring) => Ok(Arc::clone(ring)),
            #[cfg(feature = "jwks-url")]
            Self::Remote(remote) => remote.current(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.current().map_or(0, |ring| ring.len())
    }

    /// Fetches the set again when its cache time ran out (fixed keys never do).
    // Without `jwks-url` there is nothing to wait for.
    #[cfg_attr(not(feature = "jwks-url"), allow(clippy::unused_async))]
    pub(crate) async fn refresh_if_stale(&self) {
        #[cfg(feature = "jwks-url")]
        if let Self::Remote(remote) = self {
            remote.refresh_if_stale().await;
        }
    }

    /// Fetches the set again for a `kid` it lacks, if the refresh limits allow; true when the
    /// set holds `kid` afterwards.
    // Without `jwks-url` there is nothing to wait for.
    #[cfg_attr(not(feature = "jwks-url"), allow(clippy::unused_async))]
    pub(crate) async fn refresh_for(&self, kid: &str) -> bool {
        #[cfg(feature = "jwks-url")]
        if let Self::Remote(remote) = self {
            return remote.refresh_for(kid).await;
        }
        let _ = kid;
        false
    }
}
