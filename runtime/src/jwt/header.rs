//! The protected header: read strictly, trusted for nothing but choosing a configured key.

use serde::Deserialize;
use serde::de::Deserializer;

use super::error::{TokenCode, TokenError};
use super::keys::Alg;
use super::strict_json::{self, Unique};
use super::token;

/// The header members the verifier looks at. Others (`cty`, `x5t`, private names) are allowed
/// and ignored, but still checked for duplicates.
#[derive(Debug, Deserialize)]
#[allow(clippy::struct_excessive_bools)] // one per header member whose mere presence refuses
pub(crate) struct Header {
    alg: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    /// Extensions that must be understood (RFC 7515 §4.1.11): we implement none.
    #[serde(default, deserialize_with = "present")]
    crit: bool,
    /// Unencoded payload (RFC 7797): never accepted, with or without `crit`.
    #[serde(default, deserialize_with = "present")]
    b64: bool,
    /// Keys or key locations carried by the token: never trusted, never fetched.
    #[serde(default, deserialize_with = "present")]
    jwk: bool,
    #[serde(default, deserialize_with = "present")]
    jku: bool,
    #[serde(default, deserialize_with = "present")]
    x5u: bool,
    #[serde(default, deserialize_with = "present")]
    x5c: bool,
}

/// Decodes and parses the header segment: a JSON object, no member twice.
pub(crate) fn parse(segment: &str) -> Result<Header, TokenError> {
    let json = token::decode_segment(segment)?;
    strict_json::check_object(&json).map_err(|r| TokenError::new(r.token_code()))?;
    serde_json::from_slice(&json).map_err(|_| TokenError::new(TokenCode::Malformed))
}

impl Header {
    /// The header rules, given the key its `kid` chose.
    pub(crate) fn check(&self, alg: Alg, typ: Option<&str>) -> Result<(), TokenError> {
        // Exact, case-sensitive: `none`, `None`, `NONE`, `hs256` and every other spelling of
        // anything but the key's one algorithm is refused here.
        if self.alg != alg.name() {
            return Err(TokenError::new(TokenCode::BadAlgorithm));
        }
        if self.crit {
            return Err(TokenError::new(TokenCode::Crit));
        }
        if self.b64 {
            return Err(TokenError::new(TokenCode::UnsupportedHeader));
        }
        if self.jwk || self.jku || self.x5u || self.x5c {
            return Err(TokenError::new(TokenCode::KeyInHeader));
        }
        if let Some(expected) = typ {
            // Media type names compare case-insensitively (RFC 7515 §4.1.9).
            let actual = self
                .typ
                .as_deref()
                .ok_or(TokenError::new(TokenCode::BadType))?;
            let actual = actual
                .strip_prefix("application/")
                .filter(|rest| !rest.contains('/'))
                .unwrap_or(actual);
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(TokenError::new(TokenCode::BadType));
            }
        }
        Ok(())
    }
}

/// `true` for a member that is there, whatever its value (`null` included).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Unique::deserialize(d).map(|_| true)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn header(json: &str) -> Result<Header, TokenError> {
        parse(&URL_SAFE_NO_PAD.encode(json))
    }

    fn code(json: &str, typ: Option<&str>) -> Option<&'static str> {
        header(json)
            .and_then(|h| h.check(Alg::HS256, typ))
            .err()
            .map(|e| e.code())
    }

    #[test]
    fn alg_exact() {
        assert_eq!(code(r#"{"alg":"HS256"}"#, None), None);
        for alg in [
            "none", "None", "NONE", "nOnE", "hs256", "HS384", "RS256", "",
        ] {
            let json = format!(r#"{{"alg":"{alg}"}}"#);
            assert_eq!(code(&json, None), Some("bad_algorithm"), "{alg}");
        }
        assert_eq!(code(r#"{"typ":"JWT"}"#, None), Some("malformed"));
        assert_eq!(code(r#"{"alg":["HS256"]}"#, None), Some("malformed"));
    }

    #[test]
    fn refused_members() {
        assert_eq!(
            code(r#"{"alg":"HS256","crit":["exp"]}"#, None),
            Some("crit")
        );
        assert_eq!(code(r#"{"alg":"HS256","crit":[]}"#, None), Some("crit"));
        assert_eq!(
            code(r#"{"alg":"HS256","b64":false}"#, None),
            Some("unsupported_header")
        );
        for m in ["jwk", "jku", "x5u", "x5c"] {
            let json = format!(r#"{{"alg":"HS256","{m}":null}}"#);
            assert_eq!(code(&json, None), Some("key_in_header"), "{m}");
        }
        assert_eq!(
            code(r#"{"alg":"HS256","alg":"HS256"}"#, None),
            Some("duplicate_member")
        );
        assert_eq!(code(r#"["HS256"]"#, None), Some("not_an_object"));
    }

    #[test]
    fn typ_when_configured() {
        assert_eq!(code(r#"{"alg":"HS256"}"#, Some("JWT")), Some("bad_type"));
        assert_eq!(code(r#"{"alg":"HS256","typ":"jwt"}"#, Some("JWT")), None);
        assert_eq!(
            code(r#"{"alg":"HS256","typ":"application/jwt"}"#, Some("JWT")),
            None
        );
        assert_eq!(
            code(r#"{"alg":"HS256","typ":"at+jwt"}"#, Some("JWT")),
            Some("bad_type")
        );
        assert_eq!(code(r#"{"alg":"HS256","typ":"at+jwt"}"#, None), None);
    }
}
