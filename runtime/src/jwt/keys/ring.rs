//! The keys of a verifier: which sets of keys a verifier accepts, and how a token's `kid` picks
//! one (a map lookup, never a search).

use std::collections::HashMap;

use super::Key;
use crate::jwt::error::{TokenCode, TokenError, VerifierError};

/// The keys of a verifier and how a token's `kid` picks one.
pub(crate) enum KeyRing {
    /// One key configured without a `kid`: every token is checked against it, whatever `kid`
    /// it names (the `kid` cannot pick anything else).
    Single(Key),
    /// Keys by `kid`. A token names one that exists, or carries none while exactly one key is
    /// configured; nothing else is tried.
    ByKid(HashMap<String, Key>),
}

impl KeyRing {
    /// The ring for the keys given to a builder: one key without a `kid`, or keys each with its
    /// own non-empty `kid`. No key, a key without `kid` next to others, an empty `kid` or a
    /// `kid` given twice is an error.
    pub(crate) fn new(
        mut unnamed: Vec<Key>,
        named: Vec<(String, Key)>,
    ) -> Result<Self, VerifierError> {
        match (unnamed.len(), named.len()) {
            (0, 0) => Err(VerifierError::new(
                "no verification key: add one with `key`, `key_with_kid` or `jwk_set`",
            )),
            (1, 0) => Ok(Self::Single(unnamed.remove(0))),
            (0, _) => {
                let mut keys = HashMap::with_capacity(named.len());
                for (kid, key) in named {
                    if kid.is_empty() {
                        return Err(VerifierError::new("a kid must not be empty"));
                    }
                    if keys.contains_key(&kid) {
                        return Err(VerifierError::new(format!("kid {kid:?} is given twice")));
                    }
                    keys.insert(kid, key);
                }
                Ok(Self::ByKid(keys))
            }
            _ => Err(VerifierError::new(
                "with several keys, each needs a kid: use `key_with_kid`",
            )),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Single(_) => 1,
            Self::ByKid(keys) => keys.len(),
        }
    }

    /// The key for a token's `kid`: a map lookup, never a search.
    pub(crate) fn select(&self, kid: Option<&str>) -> Result<&Key, TokenError> {
        match (self, kid) {
            (Self::Single(key), _) => Ok(key),
            (Self::ByKid(keys), Some(kid)) => {
                keys.get(kid).ok_or(TokenError::new(TokenCode::UnknownKid))
            }
            (Self::ByKid(keys), None) if keys.len() == 1 => {
                Ok(keys.values().next().expect("one key"))
            }
            (Self::ByKid(_), None) => Err(TokenError::new(TokenCode::KidRequired)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key::hs256([7; 32]).expect("key")
    }

    #[test]
    fn kid_selection() {
        let single = KeyRing::Single(key());
        assert!(single.select(None).is_ok());
        assert!(single.select(Some("anything")).is_ok());
        let mut one = HashMap::new();
        one.insert("a".to_owned(), key());
        let one = KeyRing::ByKid(one);
        assert!(one.select(None).is_ok());
        assert!(one.select(Some("a")).is_ok());
        assert_eq!(
            one.select(Some("b")).err().map(|e| e.code()),
            Some("unknown_kid")
        );
        let mut two = HashMap::new();
        two.insert("a".to_owned(), key());
        two.insert("b".to_owned(), key());
        let two = KeyRing::ByKid(two);
        assert_eq!(
            two.select(None).err().map(|e| e.code()),
            Some("kid_required")
        );
        assert_eq!(
            two.select(Some("../../etc/passwd")).err().map(|e| e.code()),
            Some("unknown_kid")
        );
    }
}
