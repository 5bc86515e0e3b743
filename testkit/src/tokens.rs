//! HS256 tokens signed with a suite's secret: one valid now for a subject, or exactly the
//! claims a test crafts. Tokens that must be malformed (a header of the test's own, another
//! algorithm) are built where their test is.

use serde::Serialize;
use serde_json::{Value, json};

/// How long a [`token`] is valid, in seconds.
pub const LIFETIME: u64 = 600;

/// A token of `sub`, valid now (`iat` and `nbf` now, `exp` [`LIFETIME`] on), signed with
/// `secret`.
pub fn token(secret: &[u8], sub: &str) -> String {
    token_with(secret, sub, &json!({}))
}

/// A [`token`] with the claims of `extra` (an object) added, or in place of its own: a
/// `jti`, an organisation, another `exp`.
pub fn token_with(secret: &[u8], sub: &str, extra: &Value) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let mut claims = json!({ "sub": sub, "iat": now, "nbf": now, "exp": now + LIFETIME });
    let extra = extra.as_object().expect("extra claims are an object");
    claims
        .as_object_mut()
        .expect("an object")
        .extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    sign(secret, &claims)
}

/// Exactly `claims`, signed HS256 with `secret`.
pub fn sign(secret: &[u8], claims: &impl Serialize) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("an HS256 token")
}
