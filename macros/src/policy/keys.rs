//! Every key of the policy file that it does not know, found in one read: serde's
//! `deny_unknown_fields` stops at the first, and a user who misspelled two keys would fix one
//! per build.

use toml::de::{DeTable, DeValue};

/// The keys of each kind of table, and what each key's value holds.
const ROOT: &[(&str, Kind)] = &[
    ("database", Kind::Database),
    ("token", Kind::Token),
    ("tables", Kind::Tables),
    // `[audit.allow]`: read and checked by `guarded-audit` alone.
    ("audit", Kind::Leaf),
];
const DATABASE: &[&str] = &["dialect"];
const TOKEN: &[&str] = &["valid"];
const TABLE: &[(&str, Kind)] = &[
    ("owner", Kind::Leaf),
    ("read", Kind::Leaf),
    ("version", Kind::Leaf),
    ("scope", Kind::Leaf),
    ("grant", Kind::Grant),
    ("conditions", Kind::Conditions),
];
const GRANT: &[&str] = &["read", "update", "update_columns", "delete"];
const CONDITION: &[&str] = &["update", "delete"];

#[derive(Clone, Copy)]
enum Kind {
    Leaf,
    Database,
    Token,
    Tables,
    Grant,
    Conditions,
}

/// Each unknown key as `(byte range, message)`, in the order of the file; empty when the
/// file does not parse (the deserializer reports that).
pub fn unknown(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let Ok(root) = DeTable::parse(text) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    walk(root.get_ref(), ROOT, "", &mut found);
    found.sort_by_key(|(span, _)| span.start);
    found
}

fn walk(
    table: &DeTable<'_>,
    keys: &[(&str, Kind)],
    path: &str,
    found: &mut Vec<(std::ops::Range<usize>, String)>,
) {
    for (key, value) in table {
        let name: &str = key.get_ref();
        let Some((_, kind)) = keys.iter().find(|(k, _)| *k == name) else {
            let expected: Vec<String> = keys.iter().map(|(k, _)| format!("`{k}`")).collect();
            found.push((
                key.span(),
                format!(
                    "unknown key `{path}{name}`, expected one of {}",
                    expected.join(", ")
                ),
            ));
            continue;
        };
        let path = format!("{path}{name}.");
        match (kind, value.get_ref()) {
            (Kind::Database, DeValue::Table(inner)) => leaves(inner, DATABASE, &path, found),
            (Kind::Token, DeValue::Table(inner)) => leaves(inner, TOKEN, &path, found),
            (Kind::Grant, DeValue::Table(inner)) => leaves(inner, GRANT, &path, found),
            (Kind::Tables, DeValue::Table(tables)) => {
                for (table, spec) in tables {
                    if let DeValue::Table(spec) = spec.get_ref() {
                        walk(spec, TABLE, &format!("{path}{}.", table.get_ref()), found);
                    }
                }
            }
            (Kind::Conditions, DeValue::Table(conditions)) => {
                for (code, condition) in conditions {
                    if let DeValue::Table(condition) = condition.get_ref() {
                        let path = format!("{path}{}.", code.get_ref());
                        leaves(condition, CONDITION, &path, found);
                    }
                }
            }
            // A value of the wrong type is the deserializer's to report.
            _ => {}
        }
    }
}

fn leaves(
    table: &DeTable<'_>,
    keys: &[&str],
    path: &str,
    found: &mut Vec<(std::ops::Range<usize>, String)>,
) {
    let keys: Vec<(&str, Kind)> = keys.iter().map(|k| (*k, Kind::Leaf)).collect();
    walk(table, &keys, path, found);
}

#[cfg(test)]
mod tests {
    use super::unknown;

    #[test]
    fn every_unknown_key_is_found_in_one_read() {
        let text = "[tables.items]\nownr = \"owner_id\"\ncolour = \"red\"\n\n[tables.items.grant]\nreed = \"TRUE\"\n\n[tables.items.conditions.archived]\nupdate = \"NOT items.archived\"\ninsert = \"x\"\n\n[tokens]\nvalid = \"TRUE\"\n";
        let found: Vec<String> = unknown(text).into_iter().map(|(_, m)| m).collect();
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(found[0].starts_with("unknown key `tables.items.ownr`, expected one of `owner`"));
        assert!(found[1].starts_with("unknown key `tables.items.colour`"));
        assert!(found[2].starts_with("unknown key `tables.items.grant.reed`"));
        assert!(found[3].starts_with("unknown key `tables.items.conditions.archived.insert`"));
        assert!(found[4].starts_with("unknown key `tokens`"));
        assert!(unknown("[tables.items]\nowner = \"o\"\n").is_empty());
        assert!(
            unknown("[tables.items\n").is_empty(),
            "a syntax error is not ours"
        );
    }
}
