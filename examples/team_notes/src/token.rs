//! Tokens: the verifier the server checks them with, and the minting the `token` command and
//! the tests use. A real deployment gets its tokens from an identity provider; this one signs
//! its own, HS256 with a shared secret.

use std::error::Error;
use std::fmt::Write as _;

use guarded::Verifier;
use guarded::jwt::Key;

/// The `iss` of every token.
pub const ISSUER: &str = "team-notes";
/// The `aud` of every token.
pub const AUDIENCE: &str = "team-notes-api";

/// The verifier for tokens signed with `secret`, issued by [`ISSUER`] for [`AUDIENCE`].
pub fn verifier(secret: &str) -> Result<Verifier, Box<dyn Error>> {
    Ok(Verifier::builder()
        .key(Key::hs256(secret.as_bytes())?)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()?)
}

/// A token for `user` in `org`, valid for `ttl` seconds, with a fresh `jti`. Nothing checks
/// here that `user` belongs to `org`: the `members` table decides that in every statement.
pub fn mint(secret: &str, user: &str, org: &str, ttl: u64) -> Result<String, Box<dyn Error>> {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "sub": user,
        "org": org,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": random_hex(16)?,
    });
    Ok(jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )?)
}

/// `bytes` random bytes in hexadecimal.
pub fn random_hex(bytes: usize) -> Result<String, Box<dyn Error>> {
    let mut buf = vec![0; bytes];
    getrandom::fill(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
    Ok(buf.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}
