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

/// Claims a [`Guard`](crate::Guard) can carry: anything deserializable with a typed subject.
pub trait GuardClaims: DeserializeOwned + Send + Sync + 'static {
    /// The subject's type, bound as the owner value.
    type Subject: Subject;
    /// The verified subject.
    fn subject(&self) -> &Self::Subject;
}

/// The default claims: registered claims with a typed subject (a `String` unless chosen).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Claims<S: Subject = String> {
    /// Subject, parsed into `S`.
    #[serde(deserialize_with = "parse_subject")]
    pub sub: S,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Not before, seconds since the epoch.
    #[serde(default)]
    pub nbf: Option<u64>,
    /// Issued at, seconds since the epoch.
    #[serde(default)]
    pub iat: Option<u64>,
    /// Issuer.
    #[serde(default)]
    pub iss: Option<String>,
    /// Audience.
    #[serde(default)]
    pub aud: Option<String>,
    /// Token id, for revocation.
    #[serde(default)]
    pub jti: Option<String>,
}

impl<S: Subject> GuardClaims for Claims<S> {
    type Subject = S;
    fn subject(&self) -> &S {
        &self.sub
    }
}

/// Deserializes `sub` as a string and parses it into the subject type.
pub fn parse_subject<'de, D: Deserializer<'de>, S: Subject>(d: D) -> Result<S, D::Error> {
    let raw = String::deserialize(d)?;
    S::parse_sub(&raw).ok_or_else(|| serde::de::Error::custom("sub is not a valid subject"))
}
