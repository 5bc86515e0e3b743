//! Reading a JWK set (RFC 7517) into keys by `kid`, once, at start-up.
//!
//! Left out, with a `tracing` warning: keys not meant for verifying (`use` other than `sig`,
//! `key_ops` without `verify`) and keys of a type or algorithm we do not verify (P-521,
//! Ed448, encryption algorithms). Refused, failing the whole set: a key without `kid`, a `kid`
//! twice, an `oct` key without `alg`, an `alg` that contradicts the curve, private members
//! (`d`: a published signing key is a leak, not a configuration), RSA moduli under 2048 bits,
//! short HMAC secrets, malformed base64url.
//!
//! An RSA key without `alg` (RFC 7517 §4.4 makes it optional; Entra ID publishes none) is read
//! here and bound at `build()` to the verifier's
//! [`default_alg`](super::VerifierBuilder::default_alg); without one, the build fails. Its
//! algorithm is never taken from a token's header. Members we do not use (`x5c`, `x5t`,
//! `x5t#S256`, `issuer`) are ignored: the key is `n` and `e`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};

use super::error::VerifierError;
use super::keys::{Alg, Key};
use super::strict_json;

/// The smallest RSA modulus accepted, in bytes (2048 bits).
const MIN_RSA_MODULUS: usize = 256;

type Object = Map<String, Value>;

/// A key of a set: made, or an RSA key waiting for the algorithm the verifier fixes.
pub(crate) enum Entry {
    Made(Key),
    RsaWithoutAlg(DecodingKey),
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Made(key) => key.fmt(f),
            Self::RsaWithoutAlg(_) => f.write_str("RsaWithoutAlg"),
        }
    }
}

impl Entry {
    /// The key, an RSA key without `alg` bound to `default_alg`.
    pub(crate) fn key(self, kid: &str, default_alg: Option<Alg>) -> Result<Key, VerifierError> {
        match (self, default_alg) {
            (Self::Made(key), _) => Ok(key),
            (Self::RsaWithoutAlg(key), Some(alg)) => Key::from_decoding(alg, key),
            (Self::RsaWithoutAlg(_), None) => Err(VerifierError::new(format!(
                "JWK {kid:?}: an RSA key without alg; name its algorithm with \
                 `default_alg(Alg::RS256)` (the provider's documented one), never the token's"
            ))),
        }
    }
}

/// The usable keys of the set in `json`, by `kid`.
pub(crate) fn parse(json: &str) -> Result<Vec<(String, Entry)>, VerifierError> {
    strict_json::check_object(json.as_bytes())
        .map_err(|r| VerifierError::new(format!("JWK set is not valid JSON ({})", r.code())))?;
    let set: Value = serde_json::from_str(json)
        .map_err(|e| VerifierError::new(format!("JWK set does not parse: {e}")))?;
    let keys = set
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| VerifierError::new("JWK set has no `keys` array"))?;
    let mut usable = Vec::with_capacity(keys.len());
    for (i, jwk) in keys.iter().enumerate() {
        let jwk = jwk
            .as_object()
            .ok_or_else(|| VerifierError::new(format!("JWK #{i} is not an object")))?;
        let kid = text(jwk, "kid")?
            .filter(|kid| !kid.is_empty())
            .ok_or_else(|| VerifierError::new(format!("JWK #{i} has no kid")))?;
        if usable.iter().any(|(seen, _): &(String, Entry)| seen == kid) {
            return Err(VerifierError::new(format!(
                "JWK set names kid {kid:?} twice"
            )));
        }
        let in_key = |e: VerifierError| VerifierError::new(format!("JWK {kid:?}: {e}"));
        if let Some(key) = read(jwk).map_err(in_key)? {
            usable.push((kid.to_owned(), key));
        } else {
            tracing::warn!(kid, "guarded: JWK left out: not a verification key we use");
        }
    }
    if usable.is_empty() {
        return Err(VerifierError::new(
            "JWK set has no key usable for verification",
        ));
    }
    Ok(usable)
}

/// One JWK: `Ok(None)` when it is not for us, an error when it is for us but wrong.
fn read(jwk: &Object) -> Result<Option<Entry>, VerifierError> {
    if !for_verifying(jwk)? {
        return Ok(None);
    }
    let declared = match text(jwk, "alg")? {
        None => None,
        Some(name) => match Alg::from_name(name) {
            Some(alg) => Some(alg),
            None => return Ok(None),
        },
    };
    let kty = text(jwk, "kty")?.ok_or_else(|| VerifierError::new("no kty"))?;
    if kty != "oct" && jwk.contains_key("d") {
        return Err(VerifierError::new(
            "holds private key material (`d`); publish only the public key",
        ));
    }
    let made = match kty {
        "RSA" => return rsa(jwk, declared).map(Some),
        "EC" => ec(jwk, declared)?,
        "OKP" => okp(jwk, declared)?,
        "oct" => Some(oct(jwk, declared)?),
        _ => None,
    };
    Ok(made.map(Entry::Made))
}

/// `use` and `key_ops` (RFC 7517 §4.2, §4.3): absent, or allowing verification.
fn for_verifying(jwk: &Object) -> Result<bool, VerifierError> {
    if text(jwk, "use")?.is_some_and(|u| u != "sig") {
        return Ok(false);
    }
    match jwk.get("key_ops") {
        None => Ok(true),
        Some(Value::Array(ops)) => Ok(ops.iter().any(|op| op == "verify")),
        Some(_) => Err(VerifierError::new("key_ops is not an array")),
    }
}

fn rsa(jwk: &Object, alg: Option<Alg>) -> Result<Entry, VerifierError> {
    if let Some(alg) = alg
        && !alg.is_rsa()
    {
        return Err(VerifierError::new(format!("alg {alg} on an RSA key")));
    }
    let n = bytes(jwk, "n")?;
    let e = bytes(jwk, "e")?;
    let significant = n.iter().skip_while(|&&b| b == 0).count();
    if significant < MIN_RSA_MODULUS {
        return Err(VerifierError::new(format!(
            "RSA modulus of {} bits; at least 2048 required",
            significant * 8
        )));
    }
    if e.iter().all(|&b| b == 0) {
        return Err(VerifierError::new("RSA exponent is zero"));
    }
    let key = DecodingKey::from_rsa_raw_components(&n, &e);
    match alg {
        Some(alg) => Key::from_decoding(alg, key).map(Entry::Made),
        None => Ok(Entry::RsaWithoutAlg(key)),
    }
}

fn ec(jwk: &Object, alg: Option<Alg>) -> Result<Option<Key>, VerifierError> {
    let (curve_alg, size) = match text(jwk, "crv")? {
        Some("P-256") => (Alg::ES256, 32),
        Some("P-384") => (Alg::ES384, 48),
        _ => return Ok(None),
    };
    if alg.is_some_and(|alg| alg != curve_alg) {
        return Err(VerifierError::new(format!(
            "alg {} contradicts the curve, which fixes {curve_alg}",
            alg.map_or("", Alg::name)
        )));
    }
    let x = bytes(jwk, "x")?;
    let y = bytes(jwk, "y")?;
    if x.len() != size || y.len() != size {
        return Err(VerifierError::new("EC coordinates of the wrong length"));
    }
    let mut point = Vec::with_capacity(1 + 2 * size);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Key::from_decoding(curve_alg, DecodingKey::from_ec_der(&point)).map(Some)
}

fn okp(jwk: &Object, alg: Option<Alg>) -> Result<Option<Key>, VerifierError> {
    if text(jwk, "crv")? != Some("Ed25519") {
        return Ok(None);
    }
    if alg.is_some_and(|alg| alg != Alg::EdDSA) {
        return Err(VerifierError::new("an Ed25519 key verifies EdDSA only"));
    }
    let x = bytes(jwk, "x")?;
    if x.len() != 32 {
        return Err(VerifierError::new("Ed25519 key is not 32 bytes"));
    }
    Key::from_decoding(Alg::EdDSA, DecodingKey::from_ed_der(&x)).map(Some)
}

fn oct(jwk: &Object, alg: Option<Alg>) -> Result<Key, VerifierError> {
    let alg = alg.ok_or_else(|| VerifierError::new("an oct key needs alg (HS256/384/512)"))?;
    Key::hmac(alg, bytes(jwk, "k")?)
}

fn text<'a>(jwk: &'a Object, name: &str) -> Result<Option<&'a str>, VerifierError> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(VerifierError::new(format!("{name} is not a string"))),
    }
}

fn bytes(jwk: &Object, name: &str) -> Result<Vec<u8>, VerifierError> {
    let encoded = text(jwk, name)?.ok_or_else(|| VerifierError::new(format!("no {name}")))?;
    URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| VerifierError::new(format!("{name} is not base64url without padding")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const K32: &str = "-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE";
    const EC_X: &str = "04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY";
    const EC_Y: &str = "UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw";

    fn set(keys: &str) -> Result<Vec<(String, Key)>, VerifierError> {
        parse(&format!(r#"{{"keys":[{keys}]}}"#))?
            .into_iter()
            .map(|(kid, entry)| entry.key(&kid, None).map(|key| (kid, key)))
            .collect()
    }

    fn hs(kid: &str, extra: &str) -> String {
        format!(r#"{{"kty":"oct","kid":"{kid}","alg":"HS256","k":"{K32}"{extra}}}"#)
    }

    fn ec(extra: &str) -> String {
        format!(r#"{{"kty":"EC","kid":"e","crv":"P-256","x":"{EC_X}","y":"{EC_Y}"{extra}}}"#)
    }

    #[test]
    fn usable_keys_by_kid() {
        let keys = set(&format!("{},{}", hs("a", ""), ec(""))).expect("set");
        let algs: Vec<_> = keys
            .iter()
            .map(|(kid, k)| (kid.as_str(), k.alg()))
            .collect();
        assert_eq!(algs, [("a", Alg::HS256), ("e", Alg::ES256)]);
    }

    #[test]
    fn use_and_key_ops() {
        let only = |extra: &str| set(&format!("{},{}", hs("a", ""), ec(extra))).expect("set");
        assert_eq!(only(r#","use":"enc""#).len(), 1);
        assert_eq!(only(r#","key_ops":["encrypt"]"#).len(), 1);
        assert_eq!(only(r#","key_ops":["sign","verify"]"#).len(), 2);
        assert_eq!(only(r#","use":"sig""#).len(), 2);
        let none = set(&ec(r#","use":"enc""#)).expect_err("nothing usable");
        assert!(none.to_string().contains("no key usable"), "{none}");
    }

    #[test]
    fn refused() {
        for (keys, why) in [
            (
                r#"{"kty":"oct","alg":"HS256","k":"AAAA"}"#.to_owned(),
                "no kid",
            ),
            (format!("{},{}", hs("a", ""), hs("a", "")), "dup"),
            (
                r#"{"kty":"oct","kid":"s","alg":"HS256","k":"c2hvcnQ"}"#.to_owned(),
                "short",
            ),
            (
                format!(r#"{{"kty":"oct","kid":"s","k":"{K32}"}}"#),
                "oct without alg",
            ),
            (ec(r#","alg":"ES384""#), "alg contradicts curve"),
            (ec(r#","d":"AAAA""#), "private"),
            (
                r#"{"kty":"RSA","kid":"r","alg":"RS256","n":"AQAB","e":"AQAB"}"#.to_owned(),
                "1024",
            ),
            (
                r#"{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"}"#.to_owned(),
                "rsa no alg",
            ),
            (hs("a", r#","key_ops":"verify""#), "key_ops not array"),
            (
                format!(r#"{{"kty":"oct","kid":"s","alg":"HS256","k":"{K32}="}}"#),
                "padding",
            ),
        ] {
            let joined = if why == "dup" {
                keys
            } else {
                format!("{keys},{}", hs("ok", ""))
            };
            assert!(set(&joined).is_err(), "{why}");
        }
        assert!(parse(r#"{"keys":[],"keys":[]}"#).is_err());
        assert!(parse("[]").is_err());
    }

    #[test]
    fn unsupported_left_out() {
        let p521 = r#"{"kty":"EC","kid":"p","crv":"P-521","x":"AA","y":"AA"}"#;
        let ed448 = r#"{"kty":"OKP","kid":"o","crv":"Ed448","x":"AA"}"#;
        let oaep = r#"{"kty":"RSA","kid":"q","alg":"RSA-OAEP","n":"AA","e":"AQAB"}"#;
        let keys = set(&format!("{p521},{ed448},{oaep},{}", hs("a", ""))).expect("set");
        assert_eq!(keys.len(), 1);
    }
}
