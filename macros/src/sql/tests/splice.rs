//! Property test of the splice: over generated statements with every quoting form of each
//! dialect (quotes, backslashes, dollar quotes, `E''`, quoted identifiers, comments,
//! unicode), a rewrite is the input plus insertions — removing them gives the input back,
//! byte for byte — and a statement made only of forms every server mode reads alike is
//! never refused. (That the insertions make the statement guarded is `property.rs`'s and
//! `verify`'s business; that the database agrees is the differential test's.)

use std::fmt::Write as _;

use proptest::prelude::*;

use super::{Dialect, policy};
use crate::sql::rewrite;

/// A piece of SQL text and whether every mode of the dialect reads it alike.
type Atom = (&'static str, bool);

/// String literals (and comments around them) that sit in a WHERE condition as
/// `title <> <atom>`.
fn literals(dialect: Dialect) -> Vec<Atom> {
    let mut atoms = vec![
        ("'plain'", true),
        ("''", true),
        ("'it''s'", true),
        ("''''", true),
        ("'--'", true),
        ("'/*'", true),
        ("'*/'", true),
        ("'?'", true),
        ("'$1'", true),
        ("') OR 1=1 --'", true),
        ("'ünïcødé ✓ 日本'", true),
        ("'a' /* ' */", true),
        ("'b' -- '\n", true),
    ];
    match dialect {
        Dialect::Postgres => atoms.extend([
            ("E'\\''", true),
            ("E'\\\\'", true),
            ("e'\\x41'", true),
            ("$$a'b$$", true),
            ("$t$ ) OR ? IS NOT NULL -- $t$", true),
            ("$$ $1 $$", true),
            ("U&'\\0041'", true),
            ("'/* /* */ */'", true),
            ("'a' /* /* nested */ ' */", true),
            // A backslash before a quote: standard_conforming_strings decides where it ends.
            ("'\\''", false),
            ("'\\'", false),
            ("'\\\\'", true),
        ]),
        Dialect::MySql => atoms.extend([
            ("'\\''", false),
            ("'\\\\'", true),
            ("'\\n'", true),
            ("\"dq\"", true),
            ("\"it\"\"s\"", true),
            ("'a' # comment '\n", true),
            ("'\\''' AND title <> ') OR ? IS NOT NULL --'", false),
            ("'c' /*! OR 1=1 */", false),
        ]),
        Dialect::Sqlite => atoms.extend([
            ("'\\'", true),
            ("'\\'''", true),
            ("'\\''' AND title <> ') OR ? IS NOT NULL --'", true),
            ("x'41'", true),
        ]),
    }
    atoms
}

/// References to the guarded table, with the qualifier their predicate uses.
fn tables(dialect: Dialect) -> Vec<&'static str> {
    let mut names = vec!["items", "items AS i", "items i", "ITEMS"];
    match dialect {
        Dialect::Postgres => {
            names.extend(["\"items\"", "public.items", "items AS \"Odd \"\" alias\""]);
        }
        Dialect::MySql => names.extend(["`items`", "test.items", "items AS `a``b`"]),
        Dialect::Sqlite => names.extend(["\"items\"", "[items]", "`items`", "main.items"]),
    }
    names
}

fn placeholder(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Postgres => format!("${n}"),
        Dialect::MySql | Dialect::Sqlite => "?".into(),
    }
}

#[derive(Debug, Clone)]
struct Case {
    dialect: Dialect,
    sql: String,
    /// Every atom is read alike by every mode: the statement must be accepted.
    plain: bool,
}

fn case() -> impl Strategy<Value = Case> {
    let dialect = prop_oneof![
        Just(Dialect::Postgres),
        Just(Dialect::MySql),
        Just(Dialect::Sqlite)
    ];
    (
        dialect,
        0usize..5,
        any::<prop::sample::Index>(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 0..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(dialect, kind, table, atoms, comment, limit)| {
            let literals = literals(dialect);
            let tables = tables(dialect);
            let mut plain = true;
            let mut condition = format!("id = {}", placeholder(dialect, 1));
            for (atom, or) in &atoms {
                let (text, alike) = literals[atom.index(literals.len())];
                plain &= alike;
                let joiner = if *or { "OR" } else { "AND" };
                let _ = write!(condition, " {joiner} title <> {text}");
            }
            if comment {
                condition.push_str(" /* trailing */ ");
            }
            let table = tables[table.index(tables.len())];
            let tail = if limit && dialect != Dialect::Postgres {
                " LIMIT 10"
            } else {
                ""
            };
            let sql = match kind {
                0 => format!("SELECT id, title FROM {table} WHERE {condition}{tail}"),
                1 => format!(
                    "UPDATE {table} SET title = 'x''y' WHERE {condition}"
                ),
                2 => format!("DELETE FROM {table} WHERE {condition}"),
                3 => format!(
                    "SELECT a.note FROM audit a LEFT JOIN {table} ON a.item_id = 0 WHERE {condition}"
                ),
                _ => format!(
                    "SELECT id FROM audit WHERE item_id IN (SELECT id FROM {table} WHERE {condition})"
                ),
            };
            Case { dialect, sql, plain }
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: super::cases(512),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_splice_only_inserts(case in case()) {
        match rewrite(&case.sql, case.dialect, &policy()) {
            Ok(r) => {
                let back = r.edits.unapply(&r.analysis.sql, &r.subject);
                prop_assert_eq!(&back, &case.sql, "{}", r.analysis.sql);
                prop_assert!(r.analysis.guarded);
                prop_assert!(r.analysis.sql.contains(".owner_id = "));
            }
            Err(e) => prop_assert!(!case.plain, "{}: refused: {}", case.sql, e),
        }
    }
}

/// The strings that read differently across server modes are refused, whatever else the
/// statement holds; the same strings that every mode reads alike pass.
#[test]
fn ambiguous_strings_are_refused() {
    for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
        for (atom, alike) in literals(dialect) {
            let sql = format!("SELECT id FROM items WHERE title <> {atom}");
            let result = rewrite(&sql, dialect, &policy());
            assert_eq!(
                result.is_ok(),
                alike,
                "{dialect:?} {sql}: {:?}",
                result.err()
            );
        }
    }
}

/// The escape attack: the predicate lands after the whole condition as the database
/// reads it, never inside a string or a comment.
#[test]
fn the_predicate_follows_the_condition_the_database_reads() {
    let sql = "SELECT id FROM items WHERE title <> '\\''' AND title <> ') OR ? IS NOT NULL --'";
    let r = rewrite(sql, Dialect::Sqlite, &policy()).expect("SQLite reads this one way");
    assert_eq!(
        r.analysis.sql,
        "SELECT id FROM items WHERE (items.owner_id = $1 AND items.owner_id = $1 COLLATE BINARY) AND (title <> '\\''' AND title <> ') OR ? IS NOT NULL --')"
    );
    assert_eq!(r.analysis.binds, [crate::sql::Bind::Subject]);
}
