//! A JSON scan serde's derives do not do: a top-level object, no member twice at any depth.
//!
//! `{"sub":"alice","sub":"admin"}` means one thing to a parser that keeps the first and another
//! to one that keeps the last; a token whose meaning depends on the parser is refused. The scan
//! hands each top-level member to a callback, so the registered claims are read in the same
//! pass. Depth is bounded by `serde_json`'s own recursion limit (128), so deeply nested input
//! is an error, never a stack overflow.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::error::TokenCode;

/// The message of the one custom error the scan raises, recognised again in `scan_object`.
const DUPLICATE: &str = "duplicate member";

/// Why a document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not JSON, trailing data, or nested too deep.
    Malformed,
    /// Valid JSON, but not an object.
    NotAnObject,
    /// Some object names a member twice.
    Duplicate,
}

impl Refusal {
    /// The token code of a header or payload refused for this reason.
    pub(crate) const fn token_code(self) -> TokenCode {
        match self {
            Self::Malformed => TokenCode::Malformed,
            Self::NotAnObject => TokenCode::NotAnObject,
            Self::Duplicate => TokenCode::DuplicateMember,
        }
    }

    pub(crate) const fn code(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::NotAnObject => "not_an_object",
            Self::Duplicate => "duplicate_member",
        }
    }
}

/// Reads the top-level members it wants; the scan checks the others and skips them.
pub(crate) trait Members<'de> {
    /// Whether `member` should read the value of `name`.
    fn wants(&self, name: &str) -> bool;
    /// Reads the value of a wanted member.
    fn member<D: Deserializer<'de>>(&mut self, name: &str, value: D) -> Result<(), D::Error>;
}

/// Scans `json`: an object, no duplicate member anywhere, each top-level member offered to
/// `members`.
pub(crate) fn scan_object<'de, M: Members<'de>>(
    json: &'de [u8],
    members: &mut M,
) -> Result<(), Refusal> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let outcome = de.deserialize_any(Top { members });
    let outcome = outcome.and_then(|is_object| de.end().map(|()| is_object));
    match outcome {
        Ok(true) => Ok(()),
        Ok(false) => Err(Refusal::NotAnObject),
        Err(e) if e.is_data() && e.to_string().starts_with(DUPLICATE) => Err(Refusal::Duplicate),
        Err(_) => Err(Refusal::Malformed),
    }
}

/// Checks a whole document for duplicates without reading any member.
pub(crate) fn check_object(json: &[u8]) -> Result<(), Refusal> {
    scan_object(json, &mut NoMembers)
}

struct NoMembers;

impl<'de> Members<'de> for NoMembers {
    fn wants(&self, _: &str) -> bool {
        false
    }
    fn member<D: Deserializer<'de>>(&mut self, _: &str, _: D) -> Result<(), D::Error> {
        Ok(())
    }
}

struct Top<'m, M> {
    members: &'m mut M,
}

impl<'de, M: Members<'de>> Visitor<'de> for Top<'_, M> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut seen = Names::default();
        while let Some(name) = map.next_key::<Name<'de>>()? {
            seen.insert::<A::Error>(name.0.clone())?;
            if self.members.wants(&name.0) {
                map.next_value_seed(MemberSeed {
                    name: &name.0,
                    members: &mut *self.members,
                })?;
            } else {
                map.next_value::<Unique>()?;
            }
        }
        Ok(true)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

struct MemberSeed<'a, M> {
    name: &'a str,
    members: &'a mut M,
}

impl<'de, M: Members<'de>> DeserializeSeed<'de> for MemberSeed<'_, M> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.members.member(self.name, d)
    }
}

/// The names of one object, checked for repeats once it is read.
#[derive(Default)]
struct Names<'de>(Vec<Cow<'de, str>>);

impl<'de> Names<'de> {
    /// Objects in a capped token are small: a linear scan up to this many names, then a
    /// sorted vector, so a hostile object with many members costs no quadratic compare.
    const SORTED_FROM: usize = 16;

    fn insert<E: de::Error>(&mut self, name: Cow<'de, str>) -> Result<(), E> {
        if self.0.len() < Self::SORTED_FROM {
            if self.0.contains(&name) {
                return Err(E::custom(DUPLICATE));
            }
            self.0.push(name);
            if self.0.len() == Self::SORTED_FROM {
                self.0.sort_unstable();
            }
        } else {
            match self.0.binary_search(&name) {
                Ok(_) => return Err(E::custom(DUPLICATE)),
                Err(at) => self.0.insert(at, name),
            }
        }
        Ok(())
    }
}

/// A member name, borrowed when it has no escapes.
struct Name<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Any JSON value whose objects, at every depth, name no member twice.
pub(crate) struct Unique;

impl<'de> de::Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut seen = Names::default();
        while let Some(name) = map.next_key::<Name<'de>>()? {
            seen.insert::<A::Error>(name.0)?;
            map.next_value::<Unique>()?;
        }
        Ok(Unique)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        while seq.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_only() {
        assert_eq!(check_object(br#"{"a":1}"#), Ok(()));
        assert_eq!(check_object(b"[1]"), Err(Refusal::NotAnObject));
        assert_eq!(check_object(b"\"x\""), Err(Refusal::NotAnObject));
        assert_eq!(check_object(b"{} x"), Err(Refusal::Malformed));
        assert_eq!(check_object(b"\xef\xbb\xbf{}"), Err(Refusal::Malformed));
    }

    #[test]
    fn duplicates_at_any_depth() {
        assert_eq!(check_object(br#"{"a":1,"a":2}"#), Err(Refusal::Duplicate));
        assert_eq!(
            check_object(br#"{"a":1,"\u0061":2}"#),
            Err(Refusal::Duplicate)
        );
        assert_eq!(
            check_object(br#"{"o":{"b":1,"b":1}}"#),
            Err(Refusal::Duplicate)
        );
        assert_eq!(
            check_object(br#"{"l":[{"b":1,"b":1}]}"#),
            Err(Refusal::Duplicate)
        );
        assert_eq!(check_object(br#"{"a":{"a":{"a":1}}}"#), Ok(()));
    }

    #[test]
    fn many_members_sorted_path() {
        let members = (0..40).map(|i| format!("\"k{i}\":{i}")).collect::<Vec<_>>();
        let members = members.join(",") + ",";
        let json = format!("{{{members}");
        assert_eq!(check_object(format!("{json}\"z\":0}}").as_bytes()), Ok(()));
        assert_eq!(
            check_object(format!("{json}\"k3\":0}}").as_bytes()),
            Err(Refusal::Duplicate)
        );
        assert_eq!(
            check_object(format!("{json}\"k39\":0}}").as_bytes()),
            Err(Refusal::Duplicate)
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(check_object(deep.as_bytes()), Err(Refusal::Malformed));
    }
}
