//! Bearer-token verification: one call returns claims only after the signature and every claim
//! check passed.
//!
//! [`Verifier::verify`] runs, in this order and on the token text only:
//!
//! 1. the length cap ([`DEFAULT_MAX_TOKEN_LEN`] unless configured), before any decoding;
//! 2. the compact form: exactly three segments of base64url without padding (`token.rs`);
//! 3. the protected header (`header.rs`): a JSON object without duplicate members, an `alg` that
//!    is exactly the algorithm of the key chosen by `kid` (a map lookup, never a search over the
//!    keys: `keys/ring.rs`), no `crit`, no `b64`, no key carried in the header (`jwk`, `jku`,
//!    `x5u`, `x5c`), `typ` when configured;
//! 4. the signature, by jsonwebtoken's `crypto::verify` (the primitive its own `decode` calls)
//!    with that key and its one algorithm (`keys/mod.rs`);
//! 5. the payload, decoded once: a JSON object without duplicate members whose registered claims
//!    pass the rules below (`rules.rs`) (`exp`, `sub` required; `nbf` when present; `iss`, `aud`,
//!    `azp`, `client_id`, `token_use` as configured);
//! 6. the caller's claims type, deserialized from those same verified bytes.
//!
//! Keys come from the builder, never from a token. With the `jwks-url` feature they may come
//! from a URL the app configures (`JwksUrl`: a JWK set, or the `jwks_uri` of an issuer's
//! discovery document), fetched at start-up and kept fresh; a token can then cause a fetch of
//! that configured URL (a `kid` the set lacks, rate-limited), never of one it names.
//!
//! # Keys by URL (feature `jwks-url`)
//!
//! `JwksUrl::fetch` reads the set once (an app does not start without it) through the same
//! strict reader as [`VerifierBuilder::jwk_set`]; `VerifierBuilder::remote_keys` makes it the
//! verifier's keys, and the guard verifies with [`Verifier::verify_async`], which refreshes
//! first when needed. The set is fresh for its `Cache-Control: max-age` within bounds (60 s to
//! 24 h); a stale set, or a token whose `kid` the set lacks, fetches it again, one fetch for all
//! the requests waiting on it and at most one per `min_refresh_interval` (30 s); a fetch that
//! fails or brings a set the reader refuses keeps the last good set, for at most `max_stale`
//! (24 h) past its freshness, after which tokens are refused (503 `keys_unavailable`). Requests time
//! out (5 s), bodies are capped (256 KiB), and only HTTPS is fetched, redirects included, but
//! for plain HTTP to a loopback host. The client is reqwest with rustls.
//!
//! # The rules
//!
//! What a token must be (anything else is a 401 with a short code such as `expired` or
//! `bad_signature` in the problem body, and `WWW-Authenticate` naming the verifier's scheme:
//! `Bearer error="invalid_token"`, a bare `Bearer` when no credentials came (RFC 6750 §3.1),
//! none when the token came in the cookie or from an app's own `Authenticate`; a 400 carries
//! none; the token itself is never echoed nor logged):
//!
//! - **Transport:** one `Authorization: Bearer <token>` header (scheme case-insensitive; another
//!   with [`VerifierBuilder::scheme`]), or the cookie named by [`VerifierBuilder::cookie`]. A
//!   token in the query string, two `Authorization` headers, the cookie twice, or a header and
//!   the cookie together is a 400 `invalid_request` (RFC 6750).
//! - **Size:** at most 8 KiB (`max_token_len`, 256 B to 64 KiB), checked before any decoding.
//! - **Form:** three segments of base64url without padding; `=`, `+`, `/`, whitespace or a BOM
//!   refuse it; non-canonical trailing bits too.
//! - **Header:** a JSON object with no member twice; `alg` exactly the algorithm of the key (each
//!   key has one, fixed when it is made: `none`, another casing or another algorithm of the same
//!   family is refused); `kid` is only a map key: an unknown `kid` is refused, a token without
//!   `kid` is refused when several keys are configured, and keys are never tried one after another
//!   (a single key added with `key()` is used whatever `kid` says); `crit` and `b64` are refused
//!   (no extension is implemented); keys or key locations in the header (`jwk`, `jku`, `x5u`,
//!   `x5c`) are refused, never fetched: a token never makes the verifier fetch a URL it names;
//!   `typ` when configured.
//! - **Keys:** HMAC secrets of at least the hash size (32 bytes for HS256, 48, 64), RSA (RS/PS,
//!   moduli of 2048 bits and more from a JWK), P-256/P-384, Ed25519. From a JWK set, keys whose
//!   `use`/`key_ops` do not allow verifying, and algorithms we do not verify (P-521, Ed448), are
//!   left out; a key without `kid`, a duplicate `kid`, an `oct` key without `alg`, or a key with
//!   private members fails the build. An RSA key without `alg` (RFC 7517 §4.4; Entra ID publishes
//!   none) is bound to [`VerifierBuilder::default_alg`] (for a set found through a discovery
//!   document, to the one RSA algorithm its `id_token_signing_alg_values_supported` lists
//!   when no `default_alg` is set), and fails the build without it: its algorithm is fixed by
//!   the configuration, never by the token.
//! - **Payload:** a JSON object, no member twice at any depth, nesting bounded.
//! - **Claims:** `exp` and `sub` always required; times are integers (a string, boolean or
//!   fraction is refused); `now < exp + leeway`, `nbf` (optional: most providers send none)
//!   `<= now + leeway`, `iat` (optional) not in the future; `exp` at most `max_lifetime` (default 24 h, at most 30 days) ahead; leeway 30 s by
//!   default, at most 60 s; `sub` a non-empty string that parses as the claims' subject type
//!   (`String`, `i64` or `Uuid`, canonical spelling only); `iss` a string, equal when configured;
//!   `aud` the configured audience, or an array of strings holding it (RFC 7519 §4.1.3), and
//!   absent when none is configured. The array's other members are allowed (the token was
//!   issued for each of them, so each can replay it here) unless
//!   [`VerifierBuilder::audience_alone`] refuses them. `azp`, `client_id` and `token_use` are
//!   read only when configured, then required and equal. `jti`, when present, is a string and is
//!   exposed on `Claims` for revocation.
//!
//! # Identity providers
//!
//! The settings each provider's documentation gives, besides
//! [`jwk_set`](VerifierBuilder::jwk_set) with its published key set (`tests/it/providers` signs
//! tokens shaped as each documents them and checks them, and their forgeries):
//!
//! | provider | settings | checked besides signature, `exp`, `sub`, `nbf` when present |
//! |---|---|---|
//! | Auth0 access token | `issuer("https://TENANT/")`, `audience(API)` | `iss`; `aud` holds the API (`[api, userinfo]`) |
//! | Amazon Cognito access token | `issuer(POOL_URL)`, `client_id(CLIENT)`, `token_use("access")` | `iss`, `client_id`, `token_use`; no `aud` |
//! | Amazon Cognito ID token | `issuer(POOL_URL)`, `audience(CLIENT)`, `token_use("id")` | `iss`, `aud`, `token_use` |
//! | Keycloak | `issuer(REALM_URL)`, `audience(CLIENT)`, `authorized_party(CLIENT)` | `iss`, `aud` holds it, `azp`; the realm's `enc` key left out |
//! | Okta | `issuer(AUTH_SERVER_URL)`, `audience("api://default")` | `iss`, `aud` |
//! | Google ID token | `issuer("https://accounts.google.com")`, `audience(CLIENT_ID)`, `authorized_party(CLIENT_ID)` | `iss`, `aud`, `azp` |
//! | Firebase ID token | `issuer("https://securetoken.google.com/PROJECT")`, `audience(PROJECT)` | `iss`, `aud` |
//! | Microsoft Entra ID v2 | `issuer("https://login.microsoftonline.com/TENANT_ID/v2.0")`, `audience(APP_ID)`, `default_alg(Alg::RS256)` | `iss` of the one tenant, `aud`; keys without `alg` bound to RS256 |
//!
//! One issuer per verifier: Google tokens saying `accounts.google.com` without `https://`, and
//! Entra ID tokens of other tenants (a multi-tenant app), are refused.
//!
//! # Files
//!
//! - `verifier.rs`: [`Verifier`], running the six steps above in that order;
//! - `builder.rs`: [`Verifier::hs256`], [`Verifier::builder`] and [`VerifierBuilder`];
//! - `policy.rs`: the verification policy, the one place the rules' parameters live (issuer,
//!   audience, `azp`, `client_id`, `token_use`, leeway, maximum lifetime, `typ`, maximum token length), with their defaults and
//!   bounds;
//! - `token.rs`: the length cap, the three segments, strict base64url;
//! - `header.rs`: the protected header;
//! - `keys/`: [`Key`] and what a key must be to be made (`mod.rs`), [`Alg`] (`alg.rs`), the keys
//!   of a verifier and how `kid` picks one (`ring.rs`), the start-up checks of the crypto backend
//!   and of each key (`probe.rs`);
//! - `jwks.rs`: a JWK set read into keys by `kid`;
//! - `key_source.rs`: the keys a verification uses, fixed or fetched; `remote/` (feature
//!   `jwks-url`): `JwksUrl` and the fetched, cached and refreshed set;
//! - `rules.rs`: the claim rules;
//! - `claim_values.rs`: how a registered claim's value is read (never coerced), `aud` as one or
//!   many;
//! - `claims.rs`: [`Claims`], [`GuardClaims`] and the typed [`Subject`];
//! - `strict_json.rs`: the JSON scan refusing a member twice, for header and payload;
//! - `error.rs`: [`TokenCode`], [`TokenError`] and [`VerifierError`];
//! - `wycheproof.rs` (test builds only): the Wycheproof vectors through the signature layer.

mod builder;
mod claim_values;
mod claims;
mod error;
mod header;
mod jwks;
mod key_source;
mod keys;
mod policy;
#[cfg(feature = "jwks-url")]
mod remote;
mod rules;
mod strict_json;
mod token;
pub(crate) mod transport;
mod verifier;
#[cfg(test)]
mod wycheproof;

pub use builder::VerifierBuilder;
pub use claims::{Claims, GuardClaims, Subject, parse_subject};
pub(crate) use error::Challenge;
pub use error::{TokenCode, TokenError, VerifierError};
pub use keys::{Alg, Key, MIN_HMAC_SECRET};
pub use policy::{
    DEFAULT_LEEWAY, DEFAULT_MAX_LIFETIME, DEFAULT_MAX_TOKEN_LEN, MAX_LEEWAY, MAX_LIFETIME_CEILING,
};
#[cfg(feature = "jwks-url")]
pub use remote::{JwksUrl, RemoteKeys};
pub use verifier::Verifier;
