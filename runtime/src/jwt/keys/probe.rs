//! Start-up checks of the crypto backend and of each key.
//!
//! jsonwebtoken picks its backend (`RustCrypto` or `aws-lc-rs`) from its cargo features; with none
//! enabled and no provider installed by hand, its first verification panics. Building a
//! verifier therefore signs and verifies once, so that shows up at start-up as an error.

use std::panic::{AssertUnwindSafe, catch_unwind};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, crypto};

use super::alg::Alg;
use crate::jwt::error::VerifierError;

const MESSAGE: &[u8] = b"guarded verifier self-test";
const SECRET: &[u8; 32] = b"guarded-self-test-secret-32bytes";

/// Signs with HS256 and verifies: the right message must pass, another must not.
pub(crate) fn backend() -> Result<(), VerifierError> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let signature = crypto::sign(MESSAGE, &EncodingKey::from_secret(SECRET), Algorithm::HS256)?;
        let key = DecodingKey::from_secret(SECRET);
        let good = crypto::verify(&signature, MESSAGE, &key, Algorithm::HS256)?;
        let forged = crypto::verify(&signature, b"another message", &key, Algorithm::HS256)?;
        Ok::<_, jsonwebtoken::errors::Error>(good && !forged)
    }));
    match outcome {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => Err(VerifierError::new(
            "crypto self-test failed: the backend accepted a forged signature or refused a good one",
        )),
        Ok(Err(e)) => Err(VerifierError::new(format!("crypto self-test failed: {e}"))),
        Err(_) => Err(VerifierError::new(
            "no crypto backend: enable the `rust-crypto` (default) or `aws-lc-rs` feature of \
             guarded, or install a jsonwebtoken CryptoProvider before building the verifier",
        )),
    }
}

/// Loads `key` into the backend for `alg` with a dummy signature: a key the backend cannot use
/// is an error now, not a refused token later.
pub(super) fn key(alg: Alg, key: &DecodingKey) -> Result<(), VerifierError> {
    backend()?;
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        crypto::verify("AAAA", MESSAGE, key, alg.jsonwebtoken())
    }));
    match outcome {
        Ok(Ok(false)) => Ok(()),
        Ok(Ok(true)) => Err(VerifierError::new(format!(
            "{alg} key accepted a dummy signature; refusing it"
        ))),
        Ok(Err(e)) => Err(VerifierError::new(format!("{alg} key does not load: {e}"))),
        Err(_) => Err(VerifierError::new(format!(
            "{alg} key made the crypto backend panic"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backend_passes() {
        super::backend().expect("the default backend is enabled in tests");
    }
}
