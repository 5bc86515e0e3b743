//! How a registered claim's value is read from the verified payload: absent, well-typed, or
//! present with the wrong type, never coerced. Values of the wrong type are still scanned for
//! duplicate members.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::strict_json::Unique;

/// A registered claim as found: absent, well-typed, or present with the wrong type.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) enum Found<T> {
    #[default]
    Absent,
    Ok(T),
    WrongType,
}

/// `aud`: one string, or an array of strings (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// Whether a service whose audience is `ours` may accept the token: `ours` is the string,
    /// or a member of the array; with `alone`, an array holds nothing else. An empty array
    /// names nobody, so it admits nobody.
    pub(crate) fn admits(&self, ours: &str, alone: bool) -> bool {
        let members = match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Many(many) => many.as_slice(),
        };
        members.iter().any(|m| m == ours) && (!alone || members.iter().all(|m| m == ours))
    }
}

/// Reads a non-negative integer; anything else is `WrongType`.
pub(crate) struct Int;
/// Reads a string; anything else is `WrongType`.
pub(crate) struct Text;
/// Reads a string or an array of strings; anything else (an array member included) is
/// `WrongType`.
pub(crate) struct Aud;

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
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Found<$t>, A::Error> {
            de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
                .map(|Unique| Found::WrongType)
        }
    };
}

/// Skips the rest of an array, still refusing a member named twice in any object of it.
fn skip_rest<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<Unique>()?.is_some() {}
    Ok(())
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
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Found<u64>, A::Error> {
        skip_rest(seq).map(|()| Found::WrongType)
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
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Found<String>, A::Error> {
        skip_rest(seq).map(|()| Found::WrongType)
    }

    wrong_type_otherwise!(String);
}

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Found<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Aud {
    type Value = Found<Audience>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }

    fn visit_str<E>(self, s: &str) -> Result<Found<Audience>, E> {
        Ok(Found::Ok(Audience::One(s.to_owned())))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Found<Audience>, E> {
        Ok(Found::WrongType)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Found<Audience>, E> {
        Ok(Found::WrongType)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found<Audience>, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = seq.next_element_seed(Text)? {
            match member {
                Found::Ok(member) => members.push(member),
                _ => return skip_rest(seq).map(|()| Found::WrongType),
            }
        }
        Ok(Found::Ok(Audience::Many(members)))
    }

    wrong_type_otherwise!(Audience);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_array_admits_its_members() {
        let many = |m: &[&str]| Audience::Many(m.iter().map(|s| (*s).to_owned()).collect());
        let api = "https://api.example";
        let auth0 = many(&[api, "https://tenant.auth0.com/userinfo"]);
        assert!(auth0.admits(api, false));
        assert!(!auth0.admits(api, true), "another member, alone required");
        assert!(many(&[api]).admits(api, true));
        assert!(many(&[api, api]).admits(api, true));
        assert!(!auth0.admits("https://other.example", false));
        assert!(!many(&[]).admits(api, false));
        assert!(Audience::One(api.into()).admits(api, true));
        assert!(!Audience::One("API".into()).admits("api", false));
    }
}
