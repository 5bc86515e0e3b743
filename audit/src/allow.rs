//! `[audit.allow]` in `guarded.toml`: the unguarded writes a reviewer accepted, each with the
//! reason, keyed by where they are:
//!
//! ```toml
//! [audit.allow]
//! "src/users.rs::register" = "creates the account: it has no owner yet"
//! "src/schema.rs" = "creates the tables at start-up"
//! "tests/" = "the suites seed their databases"
//! ```
//!
//! A key is `file::fn` (the fn's name), a file, or a directory ending in `/`. An accepted
//! write is still listed, with its reason; `--deny-unguarded` refuses only the others.

use std::collections::BTreeMap;
use std::path::Path;

/// The accepted places.
pub struct Allowed(BTreeMap<String, String>);

/// The crate's `[audit.allow]`; none without a policy file.
pub fn read(dir: &Path) -> Result<Allowed, String> {
    let path = dir.join("guarded.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Allowed(BTreeMap::new()));
    };
    parse(&text)
}

fn parse(text: &str) -> Result<Allowed, String> {
    let file: toml::Table = toml::from_str(text).map_err(|e| format!("guarded.toml: {e}"))?;
    let mut allowed = BTreeMap::new();
    let Some(audit) = file.get("audit") else {
        return Ok(Allowed(allowed));
    };
    let table = audit
        .as_table()
        .ok_or("guarded.toml: [audit] must be a table")?;
    for (key, value) in table {
        if key != "allow" {
            return Err(format!(
                "guarded.toml: [audit] has no key `{key}`; it holds `allow`"
            ));
        }
        let allow = value
            .as_table()
            .ok_or("guarded.toml: [audit.allow] must be a table of \"place\" = \"reason\"")?;
        for (place, reason) in allow {
            let reason = reason
                .as_str()
                .filter(|r| !r.trim().is_empty())
                .ok_or_else(|| format!("guarded.toml: [audit.allow] \"{place}\" needs a reason"))?;
            allowed.insert(place.clone(), reason.to_owned());
        }
    }
    Ok(Allowed(allowed))
}

impl Allowed {
    /// The reason a write in `in_fn` of `file` was accepted, if it was.
    pub fn reason(&self, file: &str, in_fn: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(place, _)| match place.split_once("::") {
                Some((f, name)) => f == file && name == in_fn,
                None if place.ends_with('/') => file.starts_with(place.as_str()),
                None => place.as_str() == file,
            })
            .map(|(_, reason)| reason.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn a_place_is_a_fn_a_file_or_a_directory() {
        let allowed = parse(
            "[audit.allow]\n\"src/a.rs::f\" = \"one fn\"\n\"src/b.rs\" = \"a file\"\n\"tests/\" = \"a dir\"\n",
        )
        .expect("a valid table");
        assert_eq!(allowed.reason("src/a.rs", "f").as_deref(), Some("one fn"));
        assert_eq!(allowed.reason("src/a.rs", "g"), None);
        assert_eq!(allowed.reason("src/b.rs", "g").as_deref(), Some("a file"));
        assert_eq!(allowed.reason("src/b.rsx", "g"), None);
        assert_eq!(
            allowed.reason("tests/e2e/main.rs", "g").as_deref(),
            Some("a dir")
        );
        assert_eq!(allowed.reason("src/tests/x.rs", "g"), None);
    }

    #[test]
    fn an_entry_needs_a_reason_and_audit_holds_allow_alone() {
        let e = parse("[audit.allow]\n\"src/a.rs\" = \" \"\n")
            .err()
            .expect("refused");
        assert!(e.contains("needs a reason"), "{e}");
        let e = parse("[audit]\nalow = 1\n").err().expect("refused");
        assert!(e.contains("no key `alow`"), "{e}");
        assert!(parse("[tables.items]\nowner = \"o\"\n").is_ok());
    }
}
