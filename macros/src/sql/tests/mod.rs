//! Tests of the rewriter: the rewrite and refusal tables, effects, existence checks, and a
//! property test over generated statements.

mod differential;
mod lexer_differential;
mod placeholders;
mod plans;
pub(crate) mod policies;
mod portable;
mod property;
mod refusals;
mod revocation;
mod rewrites;
mod scope;
mod splice;

use super::{Analysis, Bind, Dialect, Owner, Policy, analyse};

use Bind::{Subject as S, User as U};
use Dialect::{MySql, Postgres, Sqlite};

const DECLARED: &[&str] = &["audit"];

/// `table.column` as a guarded table.
fn owner(table: &str, column: &str) -> Owner {
    Owner::new(table, column)
}

/// Guards `items.owner_id`; `audit` may be written.
fn policy() -> Policy<'static> {
    static TABLES: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| DECLARED.iter().map(ToString::to_string).collect());
    static OWNERS: std::sync::LazyLock<Vec<Owner>> =
        std::sync::LazyLock::new(|| vec![owner("items", "owner_id")]);
    Policy {
        owners: &OWNERS,
        unguarded: &TABLES,
        valid: None,
    }
}

/// Guards `items.owner_id`; nothing else may be written.
fn strict() -> Policy<'static> {
    Policy {
        unguarded: &[],
        ..policy()
    }
}

/// The property tests' case count: `default` in `cargo test`, `GUARDED_PROPERTY_CASES` for a
/// long run (`scripts/property`).
fn cases(default: u32) -> u32 {
    std::env::var("GUARDED_PROPERTY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn run(sql: &str, dialect: Dialect) -> Analysis {
    analyse(sql, dialect, &policy()).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// `(guarded, writes, zero_rows_denies, user_params)`
type Effects = (bool, bool, bool, usize);

/// (input, dialect) -> effects
const EFFECTS: &[(&str, Dialect, Effects)] = &[
    (
        "UPDATE items SET title = ? WHERE id = ?",
        Sqlite,
        (true, true, true, 2),
    ),
    (
        "DELETE FROM items WHERE id = $2",
        Postgres,
        (true, true, true, 2),
    ),
    (
        "SELECT * FROM items LIMIT ?",
        MySql,
        (true, false, false, 1),
    ),
    (
        "INSERT INTO items (title) VALUES (?)",
        Sqlite,
        (true, true, false, 1),
    ),
    // An upsert's DO UPDATE decides like an UPDATE; DO NOTHING decides nothing.
    (
        "INSERT INTO items (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        Sqlite,
        (true, true, true, 2),
    ),
    (
        "INSERT INTO items (id, title) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        Postgres,
        (true, true, false, 2),
    ),
    (
        "WITH n AS (INSERT INTO items (id, title) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET title = $2 RETURNING id) SELECT id FROM n",
        Postgres,
        (true, true, false, 2),
    ),
    ("SELECT * FROM audit", Sqlite, (false, false, false, 0)),
    (
        "INSERT INTO audit (note) VALUES (?)",
        Sqlite,
        (false, true, false, 1),
    ),
    // Only the statement's own mutation decides: a CTE's row count is not reported.
    (
        "WITH d AS (DELETE FROM items RETURNING id) SELECT id FROM d",
        Postgres,
        (true, true, false, 0),
    ),
    // The body of a WITH is the statement's own mutation.
    (
        "WITH x AS (SELECT 1) DELETE FROM items WHERE id = $1",
        Postgres,
        (true, true, true, 1),
    ),
    // Writing a declared table while reading the guarded one decides nothing.
    (
        "UPDATE audit SET note = ? WHERE item_id IN (SELECT id FROM items)",
        Sqlite,
        (true, true, false, 1),
    ),
    (
        "UPDATE audit a JOIN items i ON a.item_id = i.id SET a.note = ?",
        MySql,
        (true, true, false, 1),
    ),
    (
        "DELETE i FROM items i JOIN audit a ON a.item_id = i.id",
        MySql,
        (true, true, true, 0),
    ),
];

/// (input, dialect) -> whether a write of the guarded table sits inside a CTE, where the
/// statement's rows do not count it.
const NESTED_WRITES: &[(&str, Dialect, bool)] = &[
    (
        "WITH d AS (DELETE FROM items WHERE id = $1 RETURNING id) SELECT count(*) FROM d",
        Postgres,
        true,
    ),
    (
        "WITH u AS (UPDATE items SET title = 'x' RETURNING id) INSERT INTO audit (item_id, note) SELECT id, 'x' FROM u",
        Postgres,
        true,
    ),
    (
        "WITH n AS (INSERT INTO items (id, title) VALUES ($1, 'x') ON CONFLICT (id) DO UPDATE SET title = 'y' RETURNING id) SELECT id FROM n",
        Postgres,
        true,
    ),
    // The body of a WITH decides with its own rows; an INSERT has no zero-rows rule.
    (
        "WITH x AS (SELECT 1) DELETE FROM items WHERE id = $1",
        Postgres,
        false,
    ),
    (
        "WITH n AS (INSERT INTO items (title) VALUES ('x') RETURNING id) SELECT id FROM n",
        Postgres,
        false,
    ),
    ("DELETE FROM items WHERE id = ?", Sqlite, false),
];

#[test]
fn nested_writes_are_told_apart() {
    for (input, dialect, expected) in NESTED_WRITES {
        assert_eq!(run(input, *dialect).nested_write, *expected, "{input}");
    }
}

#[test]
fn effects() {
    for (input, dialect, expected) in EFFECTS {
        let a = run(input, *dialect);
        let got = (a.guarded, a.writes, a.zero_rows_denies, a.user_params);
        assert_eq!(got, *expected, "{input}");
    }
}

/// (input, dialect) -> the existence check and the user values it binds, if any.
type Expected = Option<(&'static str, &'static [usize])>;

const EXISTENCE_CHECKS: &[(&str, Dialect, Expected)] = &[
    // An upsert of VALUES denied only by meeting another owner's row: it exists.
    (
        "INSERT INTO items (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        Sqlite,
        Some(("SELECT 1", &[])),
    ),
    // From a SELECT, zero rows may also mean an empty source: nothing to tell.
    (
        "INSERT INTO items (id, title) SELECT id, note FROM audit ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        Sqlite,
        None,
    ),
    // A WITH body's condition may read the CTEs: the check runs a read-only WITH again, with
    // the values it uses; a WITH that writes would write twice, so it gets no check.
    (
        "WITH x AS (SELECT id FROM audit WHERE note = $1) DELETE FROM items WHERE id IN (SELECT id FROM x) AND title = $2",
        Postgres,
        Some((
            "WITH x AS (SELECT id FROM audit WHERE note = $1) SELECT 1 FROM items WHERE (id IN (SELECT id FROM x) AND title = $2)",
            &[0, 1],
        )),
    ),
    (
        "WITH x AS (SELECT id FROM audit WHERE note = ?) DELETE FROM items WHERE id IN (SELECT id FROM x)",
        Sqlite,
        Some((
            "WITH x AS (SELECT id FROM audit WHERE note = ?) SELECT 1 FROM items WHERE (id IN (SELECT id FROM x))",
            &[0],
        )),
    ),
    (
        "WITH d AS (DELETE FROM audit RETURNING item_id) DELETE FROM items WHERE id IN (SELECT item_id FROM d)",
        Postgres,
        None,
    ),
    (
        "UPDATE items SET title = $1 WHERE id = $2",
        Postgres,
        Some(("SELECT 1 FROM items WHERE (id = $2)", &[0, 1])),
    ),
    (
        "UPDATE items SET a = $1 WHERE id = $3 AND b = $2 AND c = $3",
        Postgres,
        Some((
            "SELECT 1 FROM items WHERE (id = $3 AND b = $2 AND c = $3)",
            &[0, 1, 2],
        )),
    ),
    (
        "DELETE FROM items AS i WHERE i.id = ? AND i.title = ?",
        Sqlite,
        Some((
            "SELECT 1 FROM items AS i WHERE (i.id = ? AND i.title = ?)",
            &[0, 1],
        )),
    ),
    (
        "UPDATE items SET title = ? WHERE id = ? ORDER BY id LIMIT ?",
        MySql,
        Some(("SELECT 1 FROM items WHERE (id = ?)", &[1])),
    ),
    (
        "UPDATE items SET title = ?2 WHERE id = ?1",
        Sqlite,
        Some(("SELECT 1 FROM items WHERE (id = ?1)", &[0])),
    ),
    (
        "DELETE FROM items",
        Postgres,
        Some(("SELECT 1 FROM items LIMIT 1", &[])),
    ),
    // Multi-table forms have no single-table existence query.
    (
        "DELETE FROM items USING audit WHERE audit.item_id = items.id",
        Postgres,
        None,
    ),
    ("SELECT * FROM items", Sqlite, None),
    ("INSERT INTO items (title) VALUES (?)", Sqlite, None),
];

#[test]
fn the_existence_check_drops_the_predicate_and_keeps_the_condition() {
    for (input, dialect, expected) in EXISTENCE_CHECKS {
        let got = run(input, *dialect).existence_check;
        let got = got.as_ref().map(|c| (c.sql.as_str(), c.binds.as_slice()));
        assert_eq!(got, *expected, "{input}");
    }
}

#[test]
fn declared_tables_may_be_written() {
    let a = run("INSERT INTO audit (note) VALUES (?)", Sqlite);
    assert!(a.writes && !a.guarded);
    assert_eq!(a.sql, "INSERT INTO audit (note) VALUES (?)");
    assert_eq!(a.binds, [U(0)]);
}

#[test]
fn an_owner_table_may_be_given_with_its_schema() {
    let owners = [owner("public.items", "owner_id")];
    let policy = Policy {
        owners: &owners,
        ..policy()
    };
    let a = analyse("SELECT * FROM items", Postgres, &policy).expect("guarded");
    assert_eq!(
        a.sql,
        "SELECT * FROM items WHERE (items.owner_id = $1 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($1 AS TEXT))"
    );
}

/// Multi-table statements that write only the guarded table need no declaration: the
/// written tables are read off SET qualifiers and DELETE targets, aliases resolved.
#[test]
fn multi_table_writes_resolve_their_targets() {
    let accepted = [
        "UPDATE items i JOIN audit a ON a.item_id = i.id SET i.title = a.note WHERE a.id = ?",
        "UPDATE audit a JOIN items ON a.item_id = items.id SET items.title = a.note",
        "DELETE i FROM items i JOIN audit a ON a.item_id = i.id WHERE a.note = ?",
        "DELETE FROM i USING items AS i JOIN audit AS a ON a.item_id = i.id",
    ];
    for sql in accepted {
        let a = analyse(sql, MySql, &strict()).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert!(a.guarded && a.writes && a.zero_rows_denies, "{sql}");
        assert!(a.sql.contains("owner_id = CAST(? AS BINARY)"), "{}", a.sql);
    }
}

#[test]
fn several_tables_each_get_their_own_owner_column() {
    let owners = [
        owner("articles", "author_id"),
        owner("favorites", "user_id"),
    ];
    let policy = Policy {
        owners: &owners,
        unguarded: &[],
        valid: None,
    };
    let cases = [
        (
            "DELETE FROM favorites WHERE article_id = ?",
            "DELETE FROM favorites WHERE (favorites.user_id = $2 AND favorites.user_id = $2 COLLATE BINARY) AND (article_id = ?)",
        ),
        (
            "INSERT INTO favorites (article_id) VALUES (?)",
            "INSERT INTO favorites (article_id, user_id) VALUES (?, $2)",
        ),
        (
            "SELECT a.id FROM articles a JOIN favorites f ON f.article_id = a.id",
            "SELECT a.id FROM articles a JOIN favorites f ON f.article_id = a.id WHERE (a.author_id = $1 AND a.author_id = $1 COLLATE BINARY) AND (f.user_id = $1 AND f.user_id = $1 COLLATE BINARY)",
        ),
        (
            "DELETE FROM favorites WHERE article_id IN (SELECT id FROM articles WHERE id = ?)",
            "DELETE FROM favorites WHERE (favorites.user_id = $2 AND favorites.user_id = $2 COLLATE BINARY) AND (article_id IN (SELECT id FROM articles WHERE (articles.author_id = $2 AND articles.author_id = $2 COLLATE BINARY) AND (id = ?)))",
        ),
    ];
    for (input, expected) in cases {
        let a = analyse(input, Sqlite, &policy).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(a.sql, expected, "{input}");
        assert!(a.guarded, "{input}");
    }
    // A write to a table that is neither guarded nor declared is refused, naming both owners.
    let e = analyse("DELETE FROM audit", Sqlite, &policy).expect_err("undeclared");
    assert!(e.contains("articles.author_id, favorites.user_id"), "{e}");
}

#[test]
fn a_public_read_carries_no_predicate_and_its_writes_do() {
    let owners = [
        owner("items", "owner_id"),
        Owner {
            public_read: true,
            ..owner("favorites", "user_id")
        },
    ];
    let policy = Policy {
        owners: &owners,
        unguarded: &[],
        valid: None,
    };
    let cases = [
        // Aggregates and existence checks mean what they say.
        (
            "SELECT count(*) FROM favorites WHERE item_id = ?",
            "SELECT count(*) FROM favorites WHERE item_id = ?",
        ),
        (
            "SELECT f.user_id FROM favorites f JOIN items i ON i.id = f.item_id",
            "SELECT f.user_id FROM favorites f JOIN items i ON i.id = f.item_id WHERE (i.owner_id = $1 AND i.owner_id = $1 COLLATE BINARY)",
        ),
        (
            "DELETE FROM favorites WHERE item_id = ?",
            "DELETE FROM favorites WHERE (favorites.user_id = $2 AND favorites.user_id = $2 COLLATE BINARY) AND (item_id = ?)",
        ),
        (
            "UPDATE favorites SET item_id = ? WHERE id = ?",
            "UPDATE favorites SET item_id = ? WHERE (favorites.user_id = $3 AND favorites.user_id = $3 COLLATE BINARY) AND (id = ?)",
        ),
        (
            "INSERT INTO favorites (item_id) VALUES (?)",
            "INSERT INTO favorites (item_id, user_id) VALUES (?, $2)",
        ),
        // A read inside a write is a read; the written table keeps its predicate.
        (
            "DELETE FROM items WHERE id IN (SELECT item_id FROM favorites)",
            "DELETE FROM items WHERE (items.owner_id = $1 AND items.owner_id = $1 COLLATE BINARY) AND (id IN (SELECT item_id FROM favorites))",
        ),
    ];
    for (input, expected) in cases {
        let a = analyse(input, Sqlite, &policy).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(a.sql, expected, "{input}");
    }
}
