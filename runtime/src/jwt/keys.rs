//! Verification keys: each bound to exactly one algorithm when it is made.

use jsonwebtoken::{Algorithm, DecodingKey};

use super::{TokenCode, TokenError, VerifierError};

/// HMAC secrets shorter than this are refused: HS256 needs at least its hash size. HS384 and
/// HS512 need 48 and 64 bytes (RFC 7518 §3.2).
pub const MIN_HMAC_SECRET: usize = 32;

/// The algorithms a [`Key`] can be bound to.
///
/// `none` is not one of them, and there is no way to allow "any algorithm of a family": the
/// token's `alg` must be exactly the key's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)] // the JOSE names, as tokens spell them
pub enum Alg {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519.
    EdDSA,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Hmac,
    Rsa,
    Ec,
    Ed,
}

impl Alg {
    /// Every algorithm, in a fixed order.
    pub const ALL: [Self; 12] = [
        Self::HS256,
        Self::HS384,
        Self::HS512,
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    /// The name tokens carry in `alg`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The algorithm named `name`, exactly (case-sensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    const fn family(self) -> Family {
        match self {
            Self::HS256 | Self::HS384 | Self::HS512 => Family::Hmac,
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512 => {
                Family::Rsa
            }
            Self::ES256 | Self::ES384 => Family::Ec,
            Self::EdDSA => Family::Ed,
        }
    }

    /// The shortest HMAC secret this algorithm accepts: its hash size.
    const fn min_secret(self) -> usize {
        match self {
            Self::HS384 => 48,
            Self::HS512 => 64,
            _ => MIN_HMAC_SECRET,
        }
    }

    pub(crate) const fn jsonwebtoken(self) -> Algorithm {
        match self {
            Self::HS256 => Algorithm::HS256,
            Self::HS384 => Algorithm::HS384,
            Self::HS512 => Algorithm::HS512,
            Self::RS256 => Algorithm::RS256,
            Self::RS384 => Algorithm::RS384,
            Self::RS512 => Algorithm::RS512,
            Self::PS256 => Algorithm::PS256,
            Self::PS384 => Algorithm::PS384,
            Self::PS512 => Algorithm::PS512,
            Self::ES256 => Algorithm::ES256,
            Self::ES384 => Algorithm::ES384,
            Self::EdDSA => Algorithm::EdDSA,
        }
    }
}

impl std::fmt::Display for Alg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
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
        if secret.len() < alg.min_secret() {
            return Err(VerifierError::new(format!(
                "HMAC secret for {alg} is {} bytes; use at least {} random bytes",
                secret.len(),
                alg.min_secret()
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
        let key = Self { alg, key };
        super::selftest::probe(&key)?;
        Ok(key)
    }

    pub(crate) fn decoding(&self) -> &DecodingKey {
        &self.key
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
    fn names_round_trip_exactly() {
        for alg in Alg::ALL {
            assert_eq!(Alg::from_name(alg.name()), Some(alg));
        }
        assert_eq!(Alg::from_name("hs256"), None);
        assert_eq!(Alg::from_name("none"), None);
    }

    #[test]
    fn garbage_pem_refused() {
        assert!(Key::es256_pem("not a key").is_err());
        assert!(
            Key::rs256_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").is_err()
        );
    }
}
