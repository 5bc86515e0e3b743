//! The claim rules, applied to the verified payload in the same pass that checks it for
//! duplicate members.
//!
//! | claim | rule | refusal |
//! |---|---|---|
//! | `exp` | required integer; `now < exp + leeway`; `exp <= now + max_lifetime + leeway` | `missing_claim`, `bad_claim`, `expired`, `lifetime_too_long` |
//! | `nbf` | optional integer; when present, `nbf <= now + leeway` | `bad_claim`, `not_yet_valid` |
//! | `iat` | optional integer; `iat <= now + leeway` | `bad_claim`, `not_yet_valid` |
//! | `sub` | required non-empty string that parses as the subject type | `missing_claim`, `bad_subject` |
//! | `iss` | a string; when configured: required and equal | `missing_claim`, `bad_issuer` |
//! | `aud` | when configured: required, the string or a member of an array of strings (with `audience_alone`, the array's only member); when not configured: absent | `missing_claim`, `bad_audience` |
//! | `azp`, `client_id`, `token_use` | when configured: required string, equal; otherwise not read | `missing_claim`, `bad_azp`, `bad_client_id`, `bad_token_use` |
//! | `jti` | optional string | `bad_claim` |
//!
//! Times are integers (seconds since the epoch): a string, a boolean, a fraction or a negative
//! number is `bad_claim`, not a value to coerce.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserializer;

use super::claim_values::{Aud, Audience, Found, Int, Text};
use super::claims::Subject;
use super::error::{TokenCode, TokenError};
use super::policy::Policy;
use super::strict_json::{self, Members};

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
    claims.check_times(policy, now)?;
    claims.check_subject::<S>()?;
    claims.check_parties(policy)
}

#[derive(Debug, Default)]
struct Registered {
    exp: Found<u64>,
    nbf: Found<u64>,
    iat: Found<u64>,
    sub: Found<String>,
    iss: Found<String>,
    aud: Found<Audience>,
    jti: Found<String>,
    azp: Found<String>,
    client_id: Found<String>,
    token_use: Found<String>,
}

const fn err(code: TokenCode) -> TokenError {
    TokenError::new(code)
}

impl Registered {
    fn check_times(&self, policy: &Policy, now: u64) -> Result<(), TokenError> {
        let leeway = policy.leeway;
        let exp = match self.exp {
            Found::Ok(n) => n,
            Found::Absent => return Err(err(TokenCode::MissingClaim)),
            Found::WrongType => return Err(err(TokenCode::BadClaim)),
        };
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
        // `nbf` and `iat` are optional (most providers send no `nbf`), checked when present.
        for found in [&self.nbf, &self.iat] {
            match found {
                Found::WrongType => return Err(err(TokenCode::BadClaim)),
                Found::Ok(t) if *t > now.saturating_add(leeway) => {
                    return Err(err(TokenCode::NotYetValid));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check_subject<S: Subject>(&self) -> Result<(), TokenError> {
        match &self.sub {
            Found::Absent => Err(err(TokenCode::MissingClaim)),
            Found::WrongType => Err(err(TokenCode::BadSubject)),
            Found::Ok(sub) if S::parse_sub(sub).is_none() => Err(err(TokenCode::BadSubject)),
            Found::Ok(_) => Ok(()),
        }
    }

    /// Who the token is from and for: `iss`, `aud`, and the provider claims configured.
    fn check_parties(&self, policy: &Policy) -> Result<(), TokenError> {
        expect(&self.iss, policy.issuer.as_deref(), TokenCode::BadIssuer)?;
        match (&self.aud, policy.audience.as_deref()) {
            (Found::Absent, None) => {}
            (Found::Absent, Some(_)) => return Err(err(TokenCode::MissingClaim)),
            (Found::Ok(aud), Some(ours)) if aud.admits(ours, policy.audience_alone) => {}
            // RFC 7519 §4.1.3: a token naming an audience is refused by a service that has none.
            _ => return Err(err(TokenCode::BadAudience)),
        }
        for (found, configured, code) in [
            (
                &self.azp,
                &policy.authorized_party,
                TokenCode::BadAuthorizedParty,
            ),
            (&self.client_id, &policy.client_id, TokenCode::BadClientId),
            (&self.token_use, &policy.token_use, TokenCode::BadTokenUse),
        ] {
            // Not read at all unless configured: a provider's own claim is its business.
            if configured.is_some() {
                expect(found, configured.as_deref(), code)?;
            }
        }
        if self.jti == Found::WrongType {
            return Err(err(TokenCode::BadClaim));
        }
        Ok(())
    }
}

/// `iss` and the provider claims: a string equal to the configured one; when none is
/// configured, any string. Never an array, a number or `null`.
fn expect(
    found: &Found<String>,
    configured: Option<&str>,
    code: TokenCode,
) -> Result<(), TokenError> {
    match (found, configured) {
        (Found::Absent | Found::Ok(_), None) => Ok(()),
        (Found::Absent, Some(_)) => Err(err(TokenCode::MissingClaim)),
        (Found::Ok(actual), Some(expected)) if actual == expected => Ok(()),
        _ => Err(err(code)),
    }
}

impl<'de> Members<'de> for Registered {
    fn wants(&self, name: &str) -> bool {
        matches!(
            name,
            "exp"
                | "nbf"
                | "iat"
                | "sub"
                | "iss"
                | "aud"
                | "jti"
                | "azp"
                | "client_id"
                | "token_use"
        )
    }

    fn member<D: Deserializer<'de>>(&mut self, name: &str, value: D) -> Result<(), D::Error> {
        match name {
            "exp" => self.exp = value.deserialize_any(Int)?,
            "nbf" => self.nbf = value.deserialize_any(Int)?,
            "iat" => self.iat = value.deserialize_any(Int)?,
            "sub" => self.sub = value.deserialize_any(Text)?,
            "iss" => self.iss = value.deserialize_any(Text)?,
            "aud" => self.aud = value.deserialize_any(Aud)?,
            "azp" => self.azp = value.deserialize_any(Text)?,
            "client_id" => self.client_id = value.deserialize_any(Text)?,
            "token_use" => self.token_use = value.deserialize_any(Text)?,
            _ => self.jti = value.deserialize_any(Text)?,
        }
        Ok(())
    }
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
            None,
            "nbf is optional"
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
                r#","iss":"https://id.example","aud":["other","items2"]"#,
                TokenCode::BadAudience,
            ),
            (
                r#","iss":"https://id.example","aud":[]"#,
                TokenCode::BadAudience,
            ),
            (
                r#","iss":"https://id.example","aud":["items",7]"#,
                TokenCode::BadAudience,
            ),
            (
                r#","iss":"https://id.example","aud":[["items"]]"#,
                TokenCode::BadAudience,
            ),
            (
                r#","iss":"https://id.example","aud":null"#,
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
        assert_eq!(code(&claims(r#","aud":["items"]"#)), Some("bad_audience"));
        assert_eq!(code(&claims(r#","iss":"anyone""#)), None);
        assert_eq!(code(&claims(r#","iss":["anyone"]"#)), Some("bad_issuer"));
    }

    #[test]
    fn audience_arrays() {
        let mut p = policy();
        p.audience = Some("items".into());
        let auth0 = r#","aud":["items","https://tenant.auth0.com/userinfo"]"#;
        assert_eq!(code_with(&p, &claims(auth0)), None);
        assert_eq!(code_with(&p, &claims(r#","aud":["items"]"#)), None);
        assert_eq!(
            code_with(&p, &claims(r#","aud":["items"],"aud":"items""#)),
            Some("duplicate_member")
        );
        assert_eq!(
            code_with(&p, &claims(r#","aud":["items",{"a":1,"a":2}]"#)),
            Some("duplicate_member"),
            "a member of the wrong type is still scanned"
        );
        p.audience_alone = true;
        assert_eq!(code_with(&p, &claims(auth0)), Some("bad_audience"));
        assert_eq!(code_with(&p, &claims(r#","aud":["items"]"#)), None);
        assert_eq!(code_with(&p, &claims(r#","aud":"items""#)), None);
    }

    #[test]
    fn provider_claims_when_configured() {
        let extra = r#","azp":"web","client_id":"c1","token_use":"access""#;
        assert_eq!(code(&claims(extra)), None);
        assert_eq!(
            code(&claims(r#","azp":7,"token_use":["x"]"#)),
            None,
            "not read"
        );
        let mut p = policy();
        p.authorized_party = Some("web".into());
        p.client_id = Some("c1".into());
        p.token_use = Some("access".into());
        assert_eq!(code_with(&p, &claims(extra)), None);
        for (claims_of, expected) in [
            (r#","client_id":"c1","token_use":"access""#, "missing_claim"),
            (r#","azp":"web","token_use":"access""#, "missing_claim"),
            (r#","azp":"web","client_id":"c1""#, "missing_claim"),
            (
                r#","azp":"app","client_id":"c1","token_use":"access""#,
                "bad_azp",
            ),
            (
                r#","azp":["web"],"client_id":"c1","token_use":"access""#,
                "bad_azp",
            ),
            (
                r#","azp":"web","client_id":"c2","token_use":"access""#,
                "bad_client_id",
            ),
            (
                r#","azp":"web","client_id":"c1","token_use":"id""#,
                "bad_token_use",
            ),
            (
                r#","azp":"web","client_id":"c1","token_use":"Access""#,
                "bad_token_use",
            ),
        ] {
            assert_eq!(
                code_with(&p, &claims(claims_of)),
                Some(expected),
                "{claims_of}"
            );
        }
    }

    #[test]
    fn shape() {
        assert_eq!(code("[]"), Some("not_an_object"));
        assert_eq!(code(""), Some("malformed"));
        assert_eq!(code(&claims(r#","sub":"admin""#)), Some("duplicate_member"));
    }
}
