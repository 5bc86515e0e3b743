//! How the suite's servers read a token: the credential of an `Authorization` header of their
//! scheme, and an HS256 token decoded with its times checked, no leeway and a size limit.

use axum::http::HeaderValue;
use serde_json::Value;

/// The longest token a server decodes: a larger one is refused unread.
const MAX_LEN: usize = 8 * 1024;

/// The credential of `header` under `scheme` (`Bearer`, `Token`).
pub fn credential<'h>(header: &'h HeaderValue, scheme: &str) -> Option<&'h str> {
    header
        .to_str()
        .ok()?
        .strip_prefix(scheme)?
        .strip_prefix(' ')
}

/// The claims of `token`, signed by `secret` with HS256: `exp` required, `nbf` checked when
/// present, no leeway; `more` adds the server's own requirements (issuer, audience).
pub fn decode(
    token: &str,
    secret: &str,
    more: impl FnOnce(&mut jsonwebtoken::Validation),
) -> Option<Value> {
    if token.len() > MAX_LEN {
        return None;
    }
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_required_spec_claims(&["exp"]);
    validation.validate_nbf = true;
    validation.leeway = 0;
    more(&mut validation);
    let key = jsonwebtoken::DecodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .ok()
        .map(|data| data.claims)
}
