//! The claim rules, applied to the verified payload in the same pass that checks it for
//! duplicate members.
//!
//! | claim | rule | refusal |
//! |---|---|---|
//! | `exp` | required integer; `now < exp + leeway`; `exp <= now + max_lifetime + leeway` | `missing_claim`, `bad_claim`, `expired`, `lifetime_too_long` |
//! | `nbf` | required integer; `nbf <= now + leeway` | `missing_claim`, `bad_claim`, `not_yet_valid` |
//! | `iat` | optional integer; `iat <= now + leeway` | `bad_claim`, `not_yet_valid` |
//! | `sub` | required non-empty string that parses as the subject type | `missing_claim`, `bad_subject` |
//! | `iss` | a string; when configured: required and equal | `missing_claim`, `bad_issuer` |
//! | `aud` | when configured: required, a string (not an array), equal; when not configured: absent | `missing_claim`, `bad_audience` |
//! | `jti` | optional string | `bad_claim` |
//!
//! Times are integers (seconds since the epoch): a string, a boolean, a fraction or a negative
//! number is `bad_claim`, not a value to coerce.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserializer;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

use super::claims::Subject;
use super::error::{TokenCode, TokenError};
use super::policy::Policy;
use super::strict_json::{self, Members, Unique};

/// Seconds since the epoch, now.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Checks `payload` (the verified bytes) against `policy` at time `now`.
pub(crate) fn check<S: Subject>(
    payload: &[u8],
    policy: &Policy,
    now: u64,
) -> Result<(), TokenError> {
    let mut claims = Registered::default();
    strict_json::scan_object(payload, &mut claims).map_err(|r| TokenError::new(r.token_code()))?;
    claims.check::<S>(policy, now)
}

/// A registered claim as found: absent, well-typed, or present with the wrong type.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
enum Found<T> {
    #[default]
    Absent,
    Ok(T),
    WrongType,
}

#[derive(Debug, Default)]
struct Registered {
    exp: Found<u64>,
    nbf: Found<u64>,
    iat: Found<u64>,
    sub: Found<String>,
    iss: Found<String>,
    aud: Found<String>,
    jti: Found<String>,
}

const fn err(code: TokenCode) -> TokenError {
    TokenError::new(code)
}

impl Registered {
    fn check<S: Subject>(&self, policy: &Policy, now: u64) -> Result<(), TokenError> {
        let leeway = policy.leeway;
        let exp = required(&self.exp)?;
        if now >= exp.saturating_add(leeway) {
            return Err(err(TokenCode::Expired));
        }
        if exp
            > now
                .saturating_add(policy.max_lifetime)
                .saturating_add(leeway)
        {
            return Err(err(TokenCode::LifetimeTooLong));
        }
        let nbf = required(&self.nbf)?;
        if nbf > now.saturating_add(leeway) {
            return Err(err(TokenCode::NotYetValid));
        }
        match self.iat {
            Found::WrongType => return Err(err(TokenCode::BadClaim)),
            Found::Ok(iat) if iat > now.saturating_add(leeway) => {
                return Err(err(TokenCode::NotYetValid));
            }
            _ => {}
        }
        match &self.sub {
            Found::Absent => return Err(err(TokenCode::MissingClaim)),
            Found::WrongType => return Err(err(TokenCode::BadSubject)),
            Found::Ok(sub) if S::parse_sub(sub).is_none() => {
                return Err(err(TokenCode::BadSubject));
            }
            Found::Ok(_) => {}
        }
        expect(
            &self.iss,
            policy.issuer.as_deref(),
            Unconfigured::Allowed,
            TokenCode::BadIssuer,
        )?;
        // RFC 7519 §4.1.3: a token naming an audience is refused by a service that has none.
        expect(
            &self.aud,
            policy.audience.as_deref(),
            Unconfigured::Refused,
            TokenCode::BadAudience,
        )?;
        if self.jti == Found::WrongType {
            return Err(err(TokenCode::BadClaim));
        }
        Ok(())
    }
}

fn required(found: &Found<u64>) -> Result<u64, TokenError> {
    match found {
        Found::Ok(n) => Ok(*n),
        Found::Absent => Err(err(TokenCode::MissingClaim)),
        Found::WrongType => Err(err(TokenCode::BadClaim)),
    }
}

/// What a string claim may be when the verifier has no value configured for it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unconfigured {
    /// Any string.
    Allowed,
    /// Nothing: the claim must be absent.
    Refused,
}

/// `iss`/`aud`: a string equal to the configured one; when none is configured, as `otherwise`
/// says. Never an array, a number or `null`.
fn expect(
    found: &Found<String>,
    configured: Option<&str>,
    otherwise: Unconfigured,
    code: TokenCode,
) -> Result<(), TokenError> {
    match (found, configured) {
        (Found::Absent, None) => Ok(()),
        (Found::Absent, Some(_)) => Err(err(TokenCode::MissingClaim)),
        (Found::Ok(actual), Some(expected)) if actual == expected => Ok(()),
        (Found::Ok(_), None) if otherwise == Unconfigured::Allowed => Ok(()),
        _ => Err(err(code)),
    }
}

impl<'de> Members<'de> for Registered {
    fn wants(&self, name: &str) -> bool {
        matches!(name, "exp" | "nbf" | "iat" | "sub" | "iss" | "aud" | "jti")
    }

    fn member<D: Deserializer<'de>>(&mut self, name: &str, value: D) -> Result<(), D::Error> {
        match name {
            "exp" => self.exp = value.deserialize_any(Int)?,
            "nbf" => self.nbf = value.deserialize_any(Int)?,
            "iat" => self.iat = value.deserialize_any(Int)?,
            "sub" => self.sub = value.deserialize_any(Text)?,
            "iss" => self.iss = value.deserialize_any(Text)?,
            "aud" => self.aud = value.deserialize_any(Text)?,
            _ => self.jti = value.deserialize_any(Text)?,
        }
        Ok(())
    }
}

/// Reads a non-negative integer; anything else is `WrongType` (still checked for duplicates).
struct Int;
/// Reads a string; anything else is `WrongType`.
struct Text;

macro_rules! wrong_type_otherwise {
    ($t:ty) => {
        fn visit_bool<E>(self, _: bool) -> Result<Found<$t>, E> {
            Ok(Found::WrongType)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Found<$t>, E> {
            Ok(Found::WrongType)
        }
        fn visit_unit<E>(self) -> Result<Found<$t>, E> {
            Ok(Found::WrongType)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found<$t>, A::Error> {
            while seq.next_element::<Unique>()?.is_some() {}
            Ok(Found::WrongType)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Found<$t>, A::Error> {
            de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
                .map(|Unique| Found::WrongType)
        }
    };
}

impl<'de> Visitor<'de> for Int {
    type Value = Found<u64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a NumericDate")
    }

    fn visit_u64<E>(self, n: u64) -> Result<Found<u64>, E> {
        Ok(Found::Ok(n))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Found<u64>, E> {
        Ok(Found::WrongType)
    }
    fn visit_str<E>(self, _: &str) -> Result<Found<u64>, E> {
        Ok(Found::WrongType)
    }

    wrong_type_otherwise!(u64);
}

impl<'de> Visitor<'de> for Text {
    type Value = Found<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E>(self, s: &str) -> Result<Found<String>, E> {
        Ok(Found::Ok(s.to_owned()))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Found<String>, E> {
        Ok(Found::WrongType)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Found<String>, E> {
        Ok(Found::WrongType)
    }

    wrong_type_otherwise!(String);
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn policy() -> Policy {
        Policy::default()
    }

    fn code_with(policy: &Policy, json: &str) -> Option<&'static str> {
        check::<String>(json.as_bytes(), policy, NOW)
            .err()
            .map(|e| e.code())
    }

    fn code(json: &str) -> Option<&'static str> {
        code_with(&policy(), json)
    }

    fn claims(extra: &str) -> String {
        format!(
            r#"{{"sub":"alice","exp":{},"nbf":{}{extra}}}"#,
            NOW + 60,
            NOW - 5
        )
    }

    #[test]
    fn good() {
        assert_eq!(code(&claims("")), None);
        assert_eq!(
            code(&claims(r#","jti":"j1","iat":1,"x":[1,{"y":2}]"#)),
            None
        );
    }

    #[test]
    fn times() {
        let exp_at = |exp: u64| format!(r#"{{"sub":"a","exp":{exp},"nbf":1}}"#);
        assert_eq!(code(&exp_at(NOW - 45)), Some("expired"));
        assert_eq!(code(&exp_at(NOW - 29)), None, "inside the 30 s leeway");
        assert_eq!(code(&exp_at(NOW - 30)), Some("expired"));
        assert_eq!(code(&exp_at(NOW + 86_400 + 30)), None);
        assert_eq!(code(&exp_at(NOW + 86_400 + 31)), Some("lifetime_too_long"));
        assert_eq!(code(&exp_at(u64::MAX)), Some("lifetime_too_long"));
        let nbf_at = |nbf: u64| format!(r#"{{"sub":"a","exp":{},"nbf":{nbf}}}"#, NOW + 60);
        assert_eq!(code(&nbf_at(NOW + 30)), None);
        assert_eq!(code(&nbf_at(NOW + 31)), Some("not_yet_valid"));
        assert_eq!(
            code(&claims(&format!(r#","iat":{}"#, NOW + 31))),
            Some("not_yet_valid")
        );
    }

    #[test]
    fn types() {
        for exp in [r#""1900000000""#, "true", "1.5", "-1", "null", "[1]", "{}"] {
            let json = format!(r#"{{"sub":"a","exp":{exp},"nbf":1}}"#);
            assert_eq!(code(&json), Some("bad_claim"), "exp {exp}");
            let json = format!(r#"{{"sub":"a","exp":{},"nbf":{exp}}}"#, NOW + 60);
            assert_eq!(code(&json), Some("bad_claim"), "nbf {exp}");
        }
        assert_eq!(code(&claims(r#","jti":7"#)), Some("bad_claim"));
        assert_eq!(code(&claims(r#","iat":"1""#)), Some("bad_claim"));
    }

    #[test]
    fn required() {
        assert_eq!(
            code(&format!(r#"{{"sub":"a","nbf":1,"x":{NOW}}}"#)),
            Some("missing_claim")
        );
        assert_eq!(
            code(&format!(r#"{{"sub":"a","exp":{}}}"#, NOW + 9)),
            Some("missing_claim")
        );
        assert_eq!(
            code(&format!(r#"{{"exp":{},"nbf":1}}"#, NOW + 9)),
            Some("missing_claim")
        );
    }

    #[test]
    fn subject() {
        let with_sub = |sub: &str| format!(r#"{{"sub":{sub},"exp":{},"nbf":1}}"#, NOW + 9);
        assert_eq!(code(&with_sub(r#""""#)), Some("bad_subject"));
        assert_eq!(code(&with_sub("42")), Some("bad_subject"));
        assert_eq!(code(&with_sub(r#"["a"]"#)), Some("bad_subject"));
        let as_i64 = |sub: &str| check::<i64>(with_sub(sub).as_bytes(), &policy(), NOW);
        assert!(as_i64(r#""42""#).is_ok());
        assert_eq!(
            as_i64(r#""042""#).err().map(|e| e.code()),
            Some("bad_subject")
        );
        assert_eq!(
            as_i64(r#""alice""#).err().map(|e| e.code()),
            Some("bad_subject")
        );
    }

    #[test]
    fn issuer_and_audience() {
        let mut p = policy();
        p.issuer = Some("https://id.example".into());
        p.audience = Some("items".into());
        let good = r#","iss":"https://id.example","aud":"items""#;
        assert_eq!(code_with(&p, &claims(good)), None);
        assert_eq!(
            code_with(&p, &claims(r#","aud":"items""#)),
            Some("missing_claim")
        );
        assert_eq!(
            code_with(&p, &claims(r#","iss":"https://id.example""#)),
            Some("missing_claim")
        );
        for (extra, expected) in [
            (
                r#","iss":"https://evil.example","aud":"items""#,
                TokenCode::BadIssuer,
            ),
            (
                r#","iss":["https://id.example"],"aud":"items""#,
                TokenCode::BadIssuer,
            ),
            (
                r#","iss":"https://id.example","aud":"other""#,
                TokenCode::BadAudience,
            ),
            (
                r#","iss":"https://id.example","aud":["items"]"#,
                TokenCode::BadAudience,
            ),
            (
                r#","iss":"https://id.example","aud":7"#,
                TokenCode::BadAudience,
            ),
        ] {
            assert_eq!(
                code_with(&p, &claims(extra)),
                Some(expected.code()),
                "{extra}"
            );
        }
        assert_eq!(code(&claims(r#","aud":"items""#)), Some("bad_audience"));
        assert_eq!(code(&claims(r#","iss":"anyone""#)), None);
        assert_eq!(code(&claims(r#","iss":["anyone"]"#)), Some("bad_issuer"));
    }

    #[test]
    fn shape() {
        assert_eq!(code("[]"), Some("not_an_object"));
        assert_eq!(code(""), Some("malformed"));
        assert_eq!(code(&claims(r#","sub":"admin""#)), Some("duplicate_member"));
    }
}
