//! Verification keys: each bound to exactly one algorithm when it is made.
//!
//! - `alg.rs`: the algorithms a key can be bound to;
//! - this file: [`Key`], and the rules a key must meet to be made (secret length, a public key
//!   the backend loads);
//! - `probe.rs`: the start-up checks of the crypto backend and of each key;
//! - `ring.rs`: the keys of a verifier and how a token's `kid` picks one.

mod alg;
pub(super) mod probe;
pub(super) mod ring;

pub use alg::Alg;

use jsonwebtoken::DecodingKey;

use super::error::{TokenCode, TokenError, VerifierError};
use alg::Family;

/// HMAC secrets shorter than this are refused: HS256 needs at least its hash size. HS384 and
/// HS512 need 48 and 64 bytes (RFC 7518 §3.2).
pub const MIN_HMAC_SECRET: usize = 32;

/// The shortest HMAC secret `alg` accepts: its hash size.
const fn min_secret(alg: Alg) -> usize {
    match alg {
        Alg::HS384 => 48,
        Alg::HS512 => 64,
        _ => MIN_HMAC_SECRET,
    }
}

/// A verification key bound to one algorithm.
///
/// Made from an HMAC secret, a PEM or DER public key, or a JWK (through
/// [`VerifierBuilder::jwk_set`](super::VerifierBuilder::jwk_set)). A key never verifies a token
/// whose `alg` names another algorithm, even of the same family.
#[derive(Clone)]
pub struct Key {
    alg: Alg,
    key: DecodingKey,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// An HS256 key: `secret` must be at least [`MIN_HMAC_SECRET`] (32) bytes.
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, VerifierError> {
        Self::hmac(Alg::HS256, secret)
    }

    /// An HMAC key for `alg` (HS256, HS384 or HS512); the secret must be at least the hash
    /// size (32, 48 or 64 bytes).
    pub fn hmac(alg: Alg, secret: impl AsRef<[u8]>) -> Result<Self, VerifierError> {
        let secret = secret.as_ref();
        if alg.family() != Family::Hmac {
            return Err(VerifierError::new(format!(
                "{alg} is not an HMAC algorithm; use Key::pem or Key::der"
            )));
        }
        if secret.len() < min_secret(alg) {
            return Err(VerifierError::new(format!(
                "HMAC secret for {alg} is {} bytes; use at least {} random bytes",
                secret.len(),
                min_secret(alg)
            )));
        }
        Ok(Self {
            alg,
            key: DecodingKey::from_secret(secret),
        })
    }

    /// A public key in PEM (`PUBLIC KEY`, or `RSA PUBLIC KEY` for RSA) for `alg`.
    pub fn pem(alg: Alg, pem: impl AsRef<[u8]>) -> Result<Self, VerifierError> {
        let pem = pem.as_ref();
        let key = match alg.family() {
            Family::Rsa => DecodingKey::from_rsa_pem(pem),
            Family::Ec => DecodingKey::from_ec_pem(pem),
            Family::Ed => DecodingKey::from_ed_pem(pem),
            Family::Hmac => {
                return Err(VerifierError::new(format!(
                    "{alg} takes a secret, not a PEM key; use Key::hmac"
                )));
            }
        }
        .map_err(|e| VerifierError::new(format!("{alg} PEM key does not load: {e}")))?;
        Self::checked(alg, key)
    }

    /// A public key in DER for `alg`: PKCS#1 `RSAPublicKey` for RSA, the SEC1 point for EC,
    /// the 32 raw bytes for Ed25519 (the forms jsonwebtoken verifies with).
    pub fn der(alg: Alg, der: impl AsRef<[u8]>) -> Result<Self, VerifierError> {
        let der = der.as_ref();
        let key = match alg.family() {
            Family::Rsa => DecodingKey::from_rsa_der(der),
            Family::Ec => DecodingKey::from_ec_der(der),
            Family::Ed => DecodingKey::from_ed_der(der),
            Family::Hmac => {
                return Err(VerifierError::new(format!(
                    "{alg} takes a secret, not a DER key; use Key::hmac"
                )));
            }
        };
        Self::checked(alg, key)
    }

    /// An RS256 key from a PEM public key.
    pub fn rs256_pem(pem: impl AsRef<[u8]>) -> Result<Self, VerifierError> {
        Self::pem(Alg::RS256, pem)
    }

    /// An ES256 (P-256) key from a PEM public key.
    pub fn es256_pem(pem: impl AsRef<[u8]>) -> Result<Self, VerifierError> {
        Self::pem(Alg::ES256, pem)
    }

    /// An Ed25519 key from a PEM public key.
    pub fn ed25519_pem(pem: impl AsRef<[u8]>) -> Result<Self, VerifierError> {
        Self::pem(Alg::EdDSA, pem)
    }

    /// The one algorithm this key verifies.
    pub const fn alg(&self) -> Alg {
        self.alg
    }

    /// A key made from parts already validated (a JWK).
    pub(crate) fn from_decoding(alg: Alg, key: DecodingKey) -> Result<Self, VerifierError> {
        if alg.family() == Family::Hmac {
            let secret = key.try_get_as_bytes().unwrap_or_default();
            return Self::hmac(alg, secret);
        }
        Self::checked(alg, key)
    }

    /// Refuses a key the backend cannot load for `alg` (a P-384 point for ES256, a truncated
    /// Ed25519 key), so it fails at start-up rather than as a 401 on every request.
    fn checked(alg: Alg, key: DecodingKey) -> Result<Self, VerifierError> {
        probe::key(alg, &key)?;
        Ok(Self { alg, key })
    }

    /// Checks `signature` (base64url) over `signing_input` with this key and its algorithm.
    pub(crate) fn verifies(
        &self,
        signature: &str,
        signing_input: &[u8],
    ) -> Result<bool, TokenError> {
        jsonwebtoken::crypto::verify(signature, signing_input, &self.key, self.alg.jsonwebtoken())
            .map_err(|_| TokenError::new(TokenCode::BadSignature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_at_least_the_hash_size() {
        assert!(Key::hs256([7; 32]).is_ok());
        for (alg, len) in [(Alg::HS256, 31), (Alg::HS384, 47), (Alg::HS512, 63)] {
            let err = Key::hmac(alg, vec![7; len]).expect_err("short");
            assert!(err.to_string().contains("at least"), "{err}");
            assert!(Key::hmac(alg, vec![7; len + 1]).is_ok());
        }
        assert!(Key::hs256(b"").is_err());
    }

    #[test]
    fn no_secret_for_a_public_key_algorithm() {
        assert!(Key::hmac(Alg::RS256, [7; 64]).is_err());
        assert!(Key::pem(Alg::HS256, "x").is_err());
        assert!(Key::der(Alg::HS512, [0; 64]).is_err());
    }

    #[test]
    fn garbage_pem_refused() {
        assert!(Key::es256_pem("not a key").is_err());
        assert!(
            Key::rs256_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").is_err()
        );
    }
}
