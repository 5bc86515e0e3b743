//! The test keys as providers publish them: RSA members of a JWK, and the certificate of
//! `tests/keys/rsa_cert.pem` (self-signed over `rsa_private.pem`) for `x5c`/`x5t`.

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::Value;

const RSA_PRIVATE: &str = include_str!("../../keys/rsa_private.pem");
const RSA_NEXT_PRIVATE: &str = include_str!("../../keys/rsa_next_private.pem");
const ATTACKER_RSA_PRIVATE: &str = include_str!("../../keys/attacker_rsa_private.pem");
pub const RSA_PUBLIC: &str = include_str!("../../keys/rsa_public.pem");
const RSA_CERT: &str = include_str!("../../keys/rsa_cert.pem");

/// `x5t` of `rsa_cert.pem`: base64url of the SHA-1 of its DER (`openssl x509 -outform DER |
/// openssl dgst -sha1`).
pub const CERT_X5T: &str = "rUcvJG40c0hxiZA8oIqeMBHCfyU";
/// `x5t#S256`: the same with SHA-256.
pub const CERT_X5T_S256: &str = "gUofrCqA1fwwO6GyVKzWvoPa--J23B0YJUWKs-I1ouY";

/// The key every provider signs its token with.
pub fn current() -> EncodingKey {
    EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa")
}

/// The second key of each set.
pub fn next() -> EncodingKey {
    EncodingKey::from_rsa_pem(RSA_NEXT_PRIVATE.as_bytes()).expect("rsa next")
}

/// A key no provider publishes.
pub fn attacker() -> EncodingKey {
    EncodingKey::from_rsa_pem(ATTACKER_RSA_PRIVATE.as_bytes()).expect("attacker")
}

/// `n` and `e` of `key`'s public half, base64url as a JWK carries them.
pub fn rsa_members(key: &EncodingKey) -> Value {
    let jwk = Jwk::from_encoding_key(key, Algorithm::RS256).expect("jwk");
    serde_json::to_value(jwk).expect("json")
}

/// `x5c`'s one member: the certificate's DER in standard base64 (RFC 7517 §4.7), which is
/// the PEM body.
pub fn cert_x5c() -> String {
    RSA_CERT
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect()
}
