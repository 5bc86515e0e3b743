//! Tokens of the tests' own making: the app's claims, signed with another key or expired.

use serde_json::json;

use crate::server::SECRET;

fn now() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).expect("time fits i64")
}

fn sign(user: &str, issued: i64, secret: &[u8]) -> String {
    let claims = json!({
        "sub": user, "iss": "conduit", "aud": "conduit",
        "iat": issued, "nbf": issued, "exp": issued + 600, "jti": format!("test-{issued}"),
    });
    guarded_testkit::tokens::sign(secret, &claims)
}

/// A token with the app's claims, signed with another key.
pub fn forged(user: &str) -> String {
    sign(user, now(), b"not-the-server-secret-not-the-server")
}

/// A token the server signed (its key), which expired an hour ago.
pub fn expired(user: &str) -> String {
    sign(user, now() - 3600 - 600, SECRET.as_bytes())
}

/// A token the server signed, valid now: the control for `expired`, same claims otherwise.
pub fn fresh(user: &str) -> String {
    sign(user, now(), SECRET.as_bytes())
}
