//! Table-driven tests of the rewriter, and a property test over generated statements.

use super::{Analysis, Bind, Dialect, Policy, analyse};

use Bind::{Subject as S, User as U};
use Dialect::{MySql, Postgres, Sqlite};

const AUDIT: &[String] = &[];

fn policy() -> Policy<'static> {
    Policy {
        table: "items",
        column: "owner_id",
        unguarded: AUDIT,
    }
}

fn run(sql: &str, dialect: Dialect) -> Analysis {
    analyse(sql, dialect, &policy()).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// (input, dialect) -> (output, binds)
const REWRITES: &[(&str, Dialect, &str, &[Bind])] = &[
    (
        "UPDATE items SET title = ? WHERE id = ?",
        Sqlite,
        "UPDATE items SET title = ? WHERE (id = ?) AND items.owner_id = ?",
        &[U(0), U(1), S],
    ),
    (
        "UPDATE items SET title = ? WHERE id = ? LIMIT ?",
        MySql,
        "UPDATE items SET title = ? WHERE (id = ?) AND items.owner_id = ? LIMIT ?",
        &[U(0), U(1), S, U(2)],
    ),
    (
        "UPDATE items SET title = $2 WHERE id = $1",
        Postgres,
        "UPDATE items SET title = $2 WHERE (id = $1) AND items.owner_id = $3",
        &[U(0), U(1), S],
    ),
    (
        "UPDATE items SET title = ?2 WHERE id = ?1",
        Sqlite,
        "UPDATE items SET title = ?2 WHERE (id = ?1) AND items.owner_id = ?3",
        &[U(0), U(1), S],
    ),
    (
        "UPDATE items SET version = version + 1 WHERE id = ? OR title = ? RETURNING version",
        Sqlite,
        "UPDATE items SET version = version + 1 WHERE (id = ? OR title = ?) AND items.owner_id = ? RETURNING version",
        &[U(0), U(1), S],
    ),
    (
        "DELETE FROM items AS i WHERE i.id = $1",
        Postgres,
        "DELETE FROM items AS i WHERE (i.id = $1) AND i.owner_id = $2",
        &[U(0), S],
    ),
    (
        "DELETE FROM items",
        Postgres,
        "DELETE FROM items WHERE items.owner_id = $1",
        &[S],
    ),
    (
        "DELETE FROM items WHERE id = ? ORDER BY id LIMIT ?",
        MySql,
        "DELETE FROM items WHERE (id = ?) AND items.owner_id = ? ORDER BY id LIMIT ?",
        &[U(0), S, U(1)],
    ),
    (
        "SELECT title FROM items WHERE id = ?",
        Sqlite,
        "SELECT title FROM items WHERE (id = ?) AND items.owner_id = ?",
        &[U(0), S],
    ),
    (
        "SELECT i.id, a.note FROM items i JOIN audit a ON a.item_id = i.id WHERE a.note = ? LIMIT ?",
        MySql,
        "SELECT i.id, a.note FROM items i JOIN audit a ON a.item_id = i.id WHERE (a.note = ?) AND i.owner_id = ? LIMIT ?",
        &[U(0), S, U(1)],
    ),
    (
        "SELECT a.note, i.title FROM audit a LEFT JOIN items i ON i.id = a.item_id",
        Postgres,
        "SELECT a.note, i.title FROM audit a LEFT JOIN items i ON (i.id = a.item_id) AND i.owner_id = $1",
        &[S],
    ),
    (
        "SELECT count(*) FROM audit WHERE item_id IN (SELECT id FROM items WHERE title = $1)",
        Postgres,
        "SELECT count(*) FROM audit WHERE item_id IN (SELECT id FROM items WHERE (title = $1) AND items.owner_id = $2)",
        &[U(0), S],
    ),
    (
        "SELECT id FROM items UNION SELECT id FROM items WHERE id > ?",
        Sqlite,
        "SELECT id FROM items WHERE items.owner_id = ? UNION SELECT id FROM items WHERE (id > ?) AND items.owner_id = ?",
        &[S, U(0), S],
    ),
    (
        "SELECT count(*) FROM audit",
        Sqlite,
        "SELECT count(*) FROM audit",
        &[],
    ),
    (
        "INSERT INTO items (title) VALUES (?), (?)",
        Sqlite,
        "INSERT INTO items (title, owner_id) VALUES (?, ?), (?, ?)",
        &[U(0), S, U(1), S],
    ),
    (
        "INSERT INTO items (title) VALUES ($1) RETURNING id",
        Postgres,
        "INSERT INTO items (title, owner_id) VALUES ($1, $2) RETURNING id",
        &[U(0), S],
    ),
    (
        "INSERT INTO items (title) SELECT title FROM items WHERE id = ?",
        MySql,
        "INSERT INTO items (title, owner_id) SELECT title, ? FROM items WHERE (id = ?) AND items.owner_id = ?",
        &[S, U(0), S],
    ),
    (
        "INSERT INTO items (id, title) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        Postgres,
        "INSERT INTO items (id, title, owner_id) VALUES ($1, $2, $3) ON CONFLICT(id) DO UPDATE SET title = excluded.title WHERE items.owner_id = $3",
        &[U(0), U(1), S],
    ),
    (
        "INSERT INTO items (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title WHERE items.title <> ?",
        Sqlite,
        "INSERT INTO items (id, title, owner_id) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title WHERE (items.title <> ?) AND items.owner_id = ?",
        &[U(0), U(1), S, U(2), S],
    ),
    (
        "WITH d AS (DELETE FROM items WHERE id = $1 RETURNING id) SELECT id FROM d",
        Postgres,
        "WITH d AS (DELETE FROM items WHERE (id = $1) AND items.owner_id = $2 RETURNING id) SELECT id FROM d",
        &[U(0), S],
    ),
    (
        "UPDATE items SET title = 'x' WHERE id = ?",
        Sqlite,
        "UPDATE items SET title = 'x' WHERE (id = ?) AND items.owner_id = ?",
        &[U(0), S],
    ),
];

#[test]
fn rewrites() {
    for (input, dialect, output, binds) in REWRITES {
        let analysis = run(input, *dialect);
        assert_eq!(analysis.sql, *output, "{input}");
        assert_eq!(analysis.binds, *binds, "{input}");
    }
}

#[test]
fn effects() {
    let update = run("UPDATE items SET title = ? WHERE id = ?", Sqlite);
    assert!(update.guarded && update.writes && update.zero_rows_denies);
    assert_eq!(update.user_params, 2);
    let select = run("SELECT * FROM items", Sqlite);
    assert!(select.guarded && !select.writes && !select.zero_rows_denies);
    let insert = run("INSERT INTO items (title) VALUES (?)", Sqlite);
    assert!(insert.guarded && insert.writes && !insert.zero_rows_denies);
    let other = run("SELECT * FROM audit", Sqlite);
    assert!(!other.guarded && !other.writes);
    let cte = run(
        "WITH d AS (DELETE FROM items RETURNING id) SELECT id FROM d",
        Postgres,
    );
    assert!(
        cte.writes && !cte.zero_rows_denies,
        "only a top-level mutation decides zero rows"
    );
}

#[test]
fn classify_drops_the_predicate_and_keeps_the_condition() {
    let pg = run("UPDATE items SET title = $1 WHERE id = $2", Postgres);
    let classify = pg.classify.expect("classify");
    assert_eq!(classify.sql, "SELECT 1 FROM items WHERE (id = $1)");
    assert_eq!(classify.binds, vec![1]);
    let sqlite = run(
        "DELETE FROM items AS i WHERE i.id = ? AND i.title = ?",
        Sqlite,
    );
    let classify = sqlite.classify.expect("classify");
    assert_eq!(
        classify.sql,
        "SELECT 1 FROM items AS i WHERE (i.id = ? AND i.title = ?)"
    );
    assert_eq!(classify.binds, vec![0, 1]);
}

/// (input, dialect) -> a substring of the error
const REFUSED: &[(&str, Dialect, &str)] = &[
    (
        "TRUNCATE items",
        Postgres,
        "only SELECT, INSERT, UPDATE and DELETE",
    ),
    (
        "DROP TABLE items",
        Sqlite,
        "only SELECT, INSERT, UPDATE and DELETE",
    ),
    ("ALTER TABLE items ADD COLUMN x TEXT", Sqlite, "only SELECT"),
    ("BEGIN", Sqlite, "only SELECT"),
    (
        "MERGE INTO items USING src ON items.id = src.id WHEN MATCHED THEN DELETE",
        Postgres,
        "only SELECT",
    ),
    (
        "INSERT INTO items (title, owner_id) VALUES (?, ?)",
        Sqlite,
        "remove it from the column list",
    ),
    (
        "INSERT INTO items VALUES (?, ?)",
        Sqlite,
        "name the columns",
    ),
    (
        "REPLACE INTO items (id, title) VALUES (?, ?)",
        MySql,
        "REPLACE",
    ),
    (
        "INSERT OR REPLACE INTO items (id, title) VALUES (?, ?)",
        Sqlite,
        "REPLACE",
    ),
    ("UPDATE OR REPLACE items SET id = ?", Sqlite, "OR REPLACE"),
    (
        "INSERT INTO items (id, title) VALUES (?, ?) ON DUPLICATE KEY UPDATE title = VALUES(title)",
        MySql,
        "ON DUPLICATE KEY",
    ),
    (
        "DELETE FROM items; DELETE FROM audit",
        Sqlite,
        "one statement per query",
    ),
    ("UPDATE items SET WHERE id = ?", Sqlite, "does not parse"),
    (
        "INSERT INTO audit (note) VALUES (?)",
        Sqlite,
        "unguarded = \"audit\"",
    ),
    ("DELETE FROM audit", Postgres, "unguarded = \"audit\""),
    (
        "SELECT * FROM items WHERE id = ?",
        Postgres,
        "does not parse",
    ),
    (
        "SELECT * FROM items WHERE id = :id",
        Sqlite,
        "no named ones",
    ),
    (
        "SELECT * FROM items WHERE id = ? AND title = ?2",
        Sqlite,
        "do not mix",
    ),
    (
        "DELETE items, audit FROM items JOIN audit ON audit.item_id = items.id",
        MySql,
        "unguarded = \"audit\"",
    ),
    ("SELECT '__guarded_u0__' FROM items", Sqlite, "reserved"),
];

#[test]
fn refusals() {
    for (input, dialect, message) in REFUSED {
        match analyse(input, *dialect, &policy()) {
            Ok(a) => panic!("{input} was accepted as {}", a.sql),
            Err(e) => assert!(e.contains(message), "{input}: {e}"),
        }
    }
}

#[test]
fn declared_tables_may_be_written() {
    let declared = ["audit".to_owned()];
    let policy = Policy {
        unguarded: &declared,
        ..policy()
    };
    let a = analyse("INSERT INTO audit (note) VALUES (?)", Sqlite, &policy).expect("declared");
    assert!(a.writes && !a.guarded);
    assert_eq!(a.sql, "INSERT INTO audit (note) VALUES (?)");
}
