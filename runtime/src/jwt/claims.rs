//! The claims a guard carries, and how a subject is typed.

use std::fmt::{Debug, Display};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// A subject type: what `owner` columns are compared with. Parsed from `sub` while the token
/// is verified, so a subject that does not parse is a refused token.
pub trait Subject: Clone + Debug + Display + Send + Sync + 'static {
    /// Parses the `sub` claim; `None` refuses the token.
    fn parse_sub(sub: &str) -> Option<Self>;
}

impl Subject for String {
    fn parse_sub(sub: &str) -> Option<Self> {
        (!sub.is_empty()).then(|| sub.to_owned())
    }
}

impl Subject for i64 {
    fn parse_sub(sub: &str) -> Option<Self> {
        // Only canonical decimal: "+1" or "01" would let two spellings name one subject.
        let n: i64 = sub.parse().ok()?;
        (n.to_string() == sub).then_some(n)
    }
}

impl Subject for uuid::Uuid {
    fn parse_sub(sub: &str) -> Option<Self> {
        // Only the hyphenated lowercase form: braces, `urn:uuid:` or upper case would let two
        // spellings name one subject.
        let id = uuid::Uuid::try_parse(sub).ok()?;
        let mut buf = uuid::Uuid::encode_buffer();
        (id.hyphenated().encode_lower(&mut buf) == sub).then_some(id)
    }
}

/// Claims a [`Guard`](crate::Guard) can carry: anything deserializable with a typed subject.
pub trait GuardClaims: DeserializeOwned + Send + Sync + 'static {
    /// The subject's type, bound as the owner value.
    type Subject: Subject;
    /// The verified subject.
    fn subject(&self) -> &Self::Subject;

    /// The token's id, bound where a policy condition says `:jti` (a revocation list). A
    /// token without one cannot pass such a condition: the fn answers 401 `missing_claim`.
    fn jti(&self) -> Option<&str> {
        None
    }

    /// When the token was issued, in seconds since the epoch, bound where a policy condition
    /// says `:iat` ("tokens issued before T are void"); absent, as for [`jti`](Self::jti).
    fn iat(&self) -> Option<u64> {
        None
    }
}

/// The default claims: registered claims with a typed subject (a `String` unless chosen;
/// `Claims<i64>` and `Claims<uuid::Uuid>` parse `sub` into those).
///
/// On a token that [`Verifier::verify`](super::Verifier::verify) returned, `exp` and `sub`
/// were present and valid, `nbf` valid when present, `iss` equal to the configured issuer and
/// `aud` holding the configured audience.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Claims<S: Subject = String> {
    /// Subject, parsed into `S`.
    #[serde(deserialize_with = "parse_subject")]
    pub sub: S,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Not before, seconds since the epoch (most providers send none).
    #[serde(default)]
    pub nbf: Option<u64>,
    /// Issued at, seconds since the epoch.
    #[serde(default)]
    pub iat: Option<u64>,
    /// Issuer.
    #[serde(default)]
    pub iss: Option<String>,
    /// Audience: the one string, or every member of the array; empty when absent.
    #[serde(default, deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Token id, for revocation (`NOT EXISTS (SELECT 1 FROM revoked WHERE jti = ...)`).
    #[serde(default)]
    pub jti: Option<String>,
}

impl<S: Subject> GuardClaims for Claims<S> {
    type Subject = S;
    fn subject(&self) -> &S {
        &self.sub
    }
    fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }
    fn iat(&self) -> Option<u64> {
        self.iat
    }
}

/// Deserializes `sub` as a string and parses it into the subject type, refusing a spelling
/// that is not the type's canonical one (`Subject::parse_sub`). An application's own claims
/// type takes it the way [`Claims`] does:
///
/// ```
/// # use guarded_runtime as guarded;
/// #[derive(serde::Deserialize)]
/// struct Member {
///     #[serde(deserialize_with = "guarded::jwt::parse_subject")]
///     sub: i64, // "+7" or "07" refused: one subject, one spelling
///     org: String,
/// }
/// # let m: Member = serde_json::from_str(r#"{"sub":"7","org":"acme"}"#).unwrap();
/// # assert_eq!(m.sub, 7);
/// # assert!(serde_json::from_str::<Member>(r#"{"sub":"07","org":"acme"}"#).is_err());
/// ```
pub fn parse_subject<'de, D: Deserializer<'de>, S: Subject>(d: D) -> Result<S, D::Error> {
    let raw = String::deserialize(d)?;
    S::parse_sub(&raw).ok_or_else(|| serde::de::Error::custom("sub is not a valid subject"))
}

/// `aud` as a list: a string is a list of one (RFC 7519 §4.1.3).
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_one_or_many() {
        let aud = |json: &str| serde_json::from_str::<Claims>(json).map(|c| c.aud);
        assert_eq!(
            aud(r#"{"sub":"a","exp":1}"#).expect("absent"),
            Vec::<String>::new()
        );
        assert_eq!(aud(r#"{"sub":"a","exp":1,"aud":"x"}"#).expect("one"), ["x"]);
        assert_eq!(
            aud(r#"{"sub":"a","exp":1,"aud":["x","y"]}"#).expect("many"),
            ["x", "y"]
        );
        assert!(aud(r#"{"sub":"a","exp":1,"aud":7}"#).is_err());
    }

    #[test]
    fn subjects_are_canonical() {
        assert_eq!(i64::parse_sub("42"), Some(42));
        assert_eq!(i64::parse_sub("-7"), Some(-7));
        for bad in ["+1", "01", " 1", "1.0", "", "9223372036854775808"] {
            assert_eq!(i64::parse_sub(bad), None, "{bad}");
        }
        let id = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        assert!(uuid::Uuid::parse_sub(id).is_some());
        for bad in [
            "67E55044-10B1-426F-9247-BB680E5FE0C8",
            "67e5504410b1426f9247bb680e5fe0c8",
            "{67e55044-10b1-426f-9247-bb680e5fe0c8}",
            "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
            "",
        ] {
            assert_eq!(uuid::Uuid::parse_sub(bad), None, "{bad}");
        }
        assert_eq!(String::parse_sub(""), None);
        assert_eq!(String::parse_sub("a"), Some("a".to_owned()));
    }
}
