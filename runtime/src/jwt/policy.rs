//! The verification policy: what every token must satisfy besides its signature.
//!
//! This is the one place the parameters of the claim rules (`rules.rs`), of the `typ` check
//! (`header.rs`) and of the length cap (`token.rs`) live: issuer, audience, the provider claims
//! (`azp`, `client_id`, `token_use`), leeway, maximum lifetime, `typ` and maximum token length,
//! with their defaults and the bounds a configuration must stay within.

use std::ops::RangeInclusive;
use std::time::Duration;

use super::error::VerifierError;

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
/// Bounds of [`VerifierBuilder::max_token_len`](super::VerifierBuilder::max_token_len).
const TOKEN_LEN_BOUNDS: RangeInclusive<usize> = 256..=64 * 1024;

/// What every token must satisfy besides its signature.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// An `aud` array must hold nothing but the audience.
    pub audience_alone: bool,
    pub authorized_party: Option<String>,
    pub client_id: Option<String>,
    pub token_use: Option<String>,
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
            audience_alone: false,
            authorized_party: None,
            client_id: None,
            token_use: None,
            leeway: DEFAULT_LEEWAY.as_secs(),
            max_lifetime: DEFAULT_MAX_LIFETIME.as_secs(),
            typ: None,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
        }
    }
}

/// The policy as configured on a [`VerifierBuilder`](super::VerifierBuilder): `None` is the
/// default.
#[derive(Debug, Default)]
pub(crate) struct Settings {
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub audience_alone: bool,
    pub authorized_party: Option<String>,
    pub client_id: Option<String>,
    pub token_use: Option<String>,
    pub leeway: Option<Duration>,
    pub max_lifetime: Option<Duration>,
    pub typ: Option<String>,
    pub max_token_len: Option<usize>,
}

impl Policy {
    /// The policy for `settings`, refusing any value outside the bounds above, an empty
    /// issuer, audience, `azp`, `client_id`, `token_use` or `typ` (which no token could match),
    /// and [`audience_alone`](super::VerifierBuilder::audience_alone) without an audience.
    pub(crate) fn new(settings: Settings) -> Result<Self, VerifierError> {
        let leeway = settings.leeway.unwrap_or(DEFAULT_LEEWAY);
        if leeway > MAX_LEEWAY {
            return Err(VerifierError::new(format!(
                "leeway of {} s exceeds the maximum of {} s",
                leeway.as_secs(),
                MAX_LEEWAY.as_secs()
            )));
        }
        let max_lifetime = settings.max_lifetime.unwrap_or(DEFAULT_MAX_LIFETIME);
        if max_lifetime.as_secs() == 0 || max_lifetime > MAX_LIFETIME_CEILING {
            return Err(VerifierError::new(format!(
                "max lifetime must be between 1 s and {} days",
                MAX_LIFETIME_CEILING.as_secs() / 86_400
            )));
        }
        let max_token_len = settings.max_token_len.unwrap_or(DEFAULT_MAX_TOKEN_LEN);
        if !TOKEN_LEN_BOUNDS.contains(&max_token_len) {
            return Err(VerifierError::new(format!(
                "max token length must be between {} and {} bytes",
                TOKEN_LEN_BOUNDS.start(),
                TOKEN_LEN_BOUNDS.end()
            )));
        }
        for (what, value) in [
            ("issuer", &settings.issuer),
            ("audience", &settings.audience),
            ("azp", &settings.authorized_party),
            ("client_id", &settings.client_id),
            ("token_use", &settings.token_use),
            ("typ", &settings.typ),
        ] {
            if value.as_deref().is_some_and(str::is_empty) {
                return Err(VerifierError::new(format!(
                    "an empty {what} matches nothing"
                )));
            }
        }
        if settings.audience_alone && settings.audience.is_none() {
            return Err(VerifierError::new(
                "audience_alone needs an audience: with none configured, `aud` must be absent",
            ));
        }
        Ok(Self {
            issuer: settings.issuer,
            audience: settings.audience,
            audience_alone: settings.audience_alone,
            authorized_party: settings.authorized_party,
            client_id: settings.client_id,
            token_use: settings.token_use,
            leeway: leeway.as_secs(),
            max_lifetime: max_lifetime.as_secs(),
            typ: settings.typ,
            max_token_len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_settings_are_the_default_policy() {
        let built = Policy::new(Settings::default()).expect("defaults are within bounds");
        let default = Policy::default();
        assert_eq!(built.leeway, default.leeway);
        assert_eq!(built.max_lifetime, default.max_lifetime);
        assert_eq!(built.max_token_len, default.max_token_len);
        assert!(built.issuer.is_none() && built.audience.is_none() && built.typ.is_none());
    }
}
