//! The probe's users: a name and attributes (`alice:org=acme,username=alice1`). Attributes
//! fill the `{placeholders}` of minted claims, login and registration bodies, and say which
//! value the API shows as the owner (`--owner-value username`).

use std::collections::BTreeMap;

/// One user of the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// What the probe calls them (`{user}`).
    pub name: String,
    /// Their attributes (`{org}`).
    pub attrs: BTreeMap<String, String>,
}

impl User {
    /// `NAME` or `NAME:KEY=VALUE,KEY=VALUE`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, rest) = text.split_once(':').unwrap_or((text, ""));
        if name.is_empty() {
            return Err(format!("{text:?}: a user needs a name"));
        }
        let mut attrs = BTreeMap::new();
        for pair in rest.split(',').filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("{text:?}: write NAME:KEY=VALUE,KEY=VALUE"))?;
            attrs.insert(key.to_owned(), value.to_owned());
        }
        Ok(Self {
            name: name.to_owned(),
            attrs,
        })
    }

    /// Attribute `key`: `user` is the name; `username`, `email` and `password` have
    /// defaults derived from it, for a login or a registration.
    pub fn get(&self, key: &str) -> Option<String> {
        if let Some(value) = self.attrs.get(key) {
            return Some(value.clone());
        }
        match key {
            "user" | "name" | "username" => Some(self.name.clone()),
            "email" => Some(format!("{}@probe.example", self.name)),
            "password" => Some(format!("probe-{}-Passw0rd!", self.name)),
            _ => None,
        }
    }

    /// Every placeholder this user fills: `{user}` and each attribute.
    pub fn holes(&self) -> Vec<(String, String)> {
        let mut holes: Vec<(String, String)> = ["user", "username", "email", "password"]
            .into_iter()
            .chain(self.attrs.keys().map(String::as_str))
            .filter_map(|k| Some((format!("{{{k}}}"), self.get(k)?)))
            .collect();
        holes.dedup();
        holes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_with_claims_parses_and_fills() {
        let user = User::parse("alice:org=acme,username=al").unwrap();
        assert_eq!(user.name, "alice");
        assert_eq!(user.get("org").as_deref(), Some("acme"));
        assert_eq!(user.get("username").as_deref(), Some("al"));
        assert_eq!(user.get("user").as_deref(), Some("alice"));
        assert!(user.holes().contains(&("{org}".into(), "acme".into())));
        assert!(User::parse("bob:org").is_err());
        assert!(User::parse(":x=1").is_err());
    }
}
