//! The refusal table: (input, dialect) -> a substring of the error.

use crate::sql::Dialect::{self, MySql, Postgres, Sqlite};
use crate::sql::analyse;

use super::{policy, strict};

/// Refused with `audit` declared as an unguarded table.
const REFUSED: &[(&str, Dialect, &str)] = &[
    // The owner column compared with a value where the guard binds it to the caller.
    (
        "UPDATE items SET title = ? WHERE id = ? AND owner_id = ?",
        Sqlite,
        "`owner_id` is compared with a value here",
    ),
    (
        "DELETE FROM items AS i WHERE i.id = $1 AND $2 = i.owner_id",
        Postgres,
        "`i.owner_id` is compared",
    ),
    (
        "SELECT i.title FROM audit a JOIN items i ON i.owner_id = ? WHERE a.id = ?",
        MySql,
        "`i.owner_id` is compared",
    ),
    (
        "UPDATE items SET owner_id = ? WHERE id = ? AND items.owner_id = 'alice'",
        Sqlite,
        "`items.owner_id` is compared",
    ),
    // Side effects on rows the predicate rejects: a function not known to be pure, a
    // schema-qualified one, a user variable assigned, a user-defined operator.
    (
        "SELECT id FROM items WHERE pg_notify('c', title) IS NULL",
        Postgres,
        "`pg_notify` is not a function the guard knows",
    ),
    (
        "UPDATE items SET title = $1 WHERE id = $2 AND nextval('s') > 0",
        Postgres,
        "`nextval` is not",
    ),
    (
        "DELETE FROM items WHERE id = ? AND SLEEP(title = 'x') = 0",
        MySql,
        "`SLEEP` is not",
    ),
    (
        "SELECT id FROM items WHERE (@x := title) IS NOT NULL",
        MySql,
        "`:=` assigns a user variable",
    ),
    (
        "SELECT id FROM items WHERE public.lower(title) = 'a'",
        Postgres,
        "`public.lower` is not",
    ),
    (
        "SELECT id FROM items WHERE title OPERATOR(public.+) 'a'",
        Postgres,
        "the operator",
    ),
    (
        "SELECT i.id FROM items i JOIN my_rows(?) r ON r.id = i.id",
        Sqlite,
        "`my_rows` is not",
    ),
    (
        "INSERT INTO items (title) SELECT set_secret(a.note) FROM audit a",
        Sqlite,
        "`set_secret` is not",
    ),
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
        "SELECT * FROM items WHERE id = ?",
        Postgres,
        "PostgreSQL placeholders are `$1`, `$2`, ..., not `?`",
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
    // Statements other than SELECT/INSERT/UPDATE/DELETE, on any table.
    ("TRUNCATE audit", Postgres, "only SELECT"),
    (
        "CREATE TABLE x AS SELECT * FROM items",
        Sqlite,
        "only SELECT",
    ),
    ("COPY items TO STDOUT", Postgres, "only SELECT"),
    ("EXPLAIN SELECT * FROM items", Sqlite, "only SELECT"),
    ("CREATE INDEX i ON items (title)", Postgres, "only SELECT"),
    ("COMMIT", Postgres, "the guard owns the transaction"),
    ("ROLLBACK", MySql, "the guard owns the transaction"),
    ("START TRANSACTION", MySql, "the guard owns the transaction"),
    (
        "SET search_path = other",
        Postgres,
        "the guard owns the transaction",
    ),
    ("SAVEPOINT s", Sqlite, "the guard owns the transaction"),
    (
        "MERGE INTO audit USING src ON audit.id = src.id WHEN MATCHED THEN DELETE",
        Postgres,
        "only SELECT",
    ),
    // Reads that write, or that the predicate cannot reach.
    ("SELECT * INTO copy FROM items", Postgres, "SELECT ... INTO"),
    (
        "SELECT * FROM items AS i PIVOT (count(id) FOR title IN ('x')) AS p",
        Postgres,
        "cannot put its predicate on every reference",
    ),
    (
        "SELECT id FROM audit UNION TABLE items",
        Postgres,
        "write SELECT * FROM items",
    ),
    (
        "INSERT INTO audit (id) TABLE items",
        Postgres,
        "write SELECT * FROM items",
    ),
    // INSERT forms.
    (
        "INSERT INTO items (title, OWNER_ID) VALUES ($1, $2)",
        Postgres,
        "remove it from the column list",
    ),
    (
        "INSERT INTO items VALUES ($1, $2)",
        Postgres,
        "name the columns",
    ),
    ("INSERT INTO items SET title = ?", MySql, "INSERT ... SET"),
    (
        "INSERT INTO items (title) SELECT ? UNION SELECT ?",
        Sqlite,
        "single SELECT",
    ),
    (
        "INSERT INTO items DEFAULT VALUES",
        Sqlite,
        "name the columns",
    ),
    (
        "REPLACE INTO items (id, title) VALUES (?, ?)",
        Sqlite,
        "REPLACE",
    ),
    (
        "INSERT INTO items (id, title) VALUES (?, ?) ON DUPLICATE KEY UPDATE title = ?",
        MySql,
        "INSERT, then run a guarded UPDATE",
    ),
    (
        "UPDATE OR REPLACE items SET title = ? WHERE id = ?",
        Sqlite,
        "OR REPLACE",
    ),
    // Placeholders.
    (
        "SELECT * FROM items WHERE id = $1",
        MySql,
        "MySQL placeholders are `?`",
    ),
    (
        "SELECT * FROM items WHERE id = ?1",
        MySql,
        "MySQL placeholders are `?`",
    ),
    (
        "SELECT * FROM items WHERE id = @id",
        Sqlite,
        "no named ones",
    ),
    (
        "SELECT * FROM items WHERE id = $id",
        Sqlite,
        "no named ones",
    ),
    (
        "SELECT * FROM items WHERE id = $0",
        Postgres,
        "not a valid placeholder number",
    ),
    (
        "SELECT * FROM items WHERE id = ?0",
        Sqlite,
        "not a valid placeholder number",
    ),
    (
        "SELECT * FROM items WHERE id = ?1 AND title = ?",
        Sqlite,
        "do not mix",
    ),
    // Names the parser and the database read differently.
    ("SELECT * FROM ONLY items", Postgres, "`ONLY`"),
    ("SELECT * FROM ONLY (items)", Postgres, "`ONLY`"),
    ("DELETE FROM ONLY items WHERE id = $1", Postgres, "`ONLY`"),
    ("UPDATE ONLY items SET title = $1", Postgres, "`ONLY`"),
    ("SELECT * FROM audit, ONLY items", Postgres, "`ONLY`"),
    (
        "SELECT * FROM items AS i(id, owner_id, t)",
        Postgres,
        "column alias list",
    ),
    ("SELECT * FROM items i(x, y)", Postgres, "column alias list"),
    (
        "WITH items AS (SELECT id, 'x' AS owner_id FROM items) SELECT id FROM items",
        Postgres,
        "named like the guarded table",
    ),
    (
        "WITH \"ITEMS\" AS (SELECT id FROM audit) DELETE FROM items WHERE id IN (SELECT id FROM \"ITEMS\")",
        Postgres,
        "named like the guarded table",
    ),
    // SQL or a table name as text, and settings that change what a name means.
    (
        "SELECT query_to_xml('select * from items', true, true, '')",
        Postgres,
        "`query_to_xml`",
    ),
    (
        "SELECT table_to_xml('items', true, true, '')",
        Postgres,
        "`table_to_xml`",
    ),
    (
        "SELECT pg_catalog.query_to_xml('select * from items', true, true, '')",
        Postgres,
        "`query_to_xml`",
    ),
    (
        "SELECT * FROM ts_stat('select to_tsvector(title) from items')",
        Postgres,
        "`ts_stat`",
    ),
    (
        "SELECT id FROM items WHERE id = $1 AND set_config('search_path', 'x', true) IS NOT NULL",
        Postgres,
        "`set_config`",
    ),
    ("SELECT load_extension('x')", Sqlite, "`load_extension`"),
    // Text the server's settings read differently, and comments MySQL runs.
    (
        r"SELECT * FROM items WHERE title = '\''",
        MySql,
        "reads differently",
    ),
    (
        r"SELECT * FROM items WHERE title <> '\''' AND title <> ') OR ? IS NOT NULL --'",
        MySql,
        "does not lex",
    ),
    (
        r"SELECT * FROM items WHERE title = '\' OR true --'",
        Postgres,
        "reads differently",
    ),
    (
        r#"SELECT * FROM items WHERE title = "a\" OR 1=1 -- ""#,
        MySql,
        "reads differently",
    ),
    (
        "SELECT * FROM items WHERE id = ? /*! OR 1=1 */",
        MySql,
        "/*!",
    ),
    (
        "SELECT * FROM items WHERE id = ? /*M! OR 1=1 */",
        MySql,
        "/*!",
    ),
    // Text a server's lexer reads differently from the parser's (`lexer_differential.rs`).
    (
        "SELECT * FROM items WHERE id = ? --\u{a0}x",
        MySql,
        "`--` comment only before an ASCII space",
    ),
    ("SELECT * FROM items WHERE id = ? --", MySql, "`--` comment"),
    ("SELECT * FROM items WHERE id = ? --\u{1}x", MySql, "U+0001"),
    (
        "SELECT * FROM items WHERE id = ? --\u{85}x",
        MySql,
        "`--` comment",
    ),
    ("SELECT * FROM items WHERE id = ?\u{a0}", Sqlite, "U+00A0"),
    (
        "SELECT * FROM items WHERE id = $1\u{a0}",
        Postgres,
        "U+00A0",
    ),
    ("SELECT * FROM items WHERE id = ?\u{feff}", MySql, "U+FEFF"),
    ("SELECT * FROM items WHERE id = ?\u{1}", MySql, "U+0001"),
    (
        "SELECT title FROM items WHERE title <> B'2'",
        MySql,
        "0 and 1",
    ),
    (
        "SELECT title FROM items WHERE title <> X'4g'",
        Postgres,
        "hexadecimal digits",
    ),
    (
        "SELECT title FROM items WHERE id </*x*/ $1",
        Postgres,
        "`</*`",
    ),
    ("SELECT * FROM items WHERE id = ?\u{a0}", MySql, "U+00A0"),
    (
        "SELECT * FROM items WHERE id =\u{3000}$1",
        Postgres,
        "U+3000",
    ),
    ("SELECT * FROM items WHERE id =\u{2028}?", Sqlite, "U+2028"),
    ("SELECT * FROM items WHERE id = ?\u{b}", Sqlite, "U+000B"),
    ("SELECT * FROM items WHERE ünï = ?", Sqlite, "U+00FC"),
    ("SELECT * FROM items WHERE id = ?\0", Postgres, "NUL"),
    (
        r#"SELECT title FROM items WHERE title <> B"\" OR 1 = 1 -- ""#,
        MySql,
        "B'...' with single quotes",
    ),
    (
        r#"SELECT title FROM items WHERE title <> B"x""#,
        Postgres,
        "B'...' with single quotes",
    ),
    (
        r#"SELECT title FROM items WHERE title <> X"41""#,
        MySql,
        "space before",
    ),
    (
        r#"SELECT title FROM items WHERE title <> N"x""#,
        MySql,
        "space before",
    ),
    (
        r#"SELECT title FROM items WHERE title <> _utf8mb4"x""#,
        MySql,
        "space before",
    ),
    (
        r#"SELECT title FROM items WHERE U&"title" = 'x'"#,
        Postgres,
        "`U&\"...\"`",
    ),
    (
        r"SELECT title FROM items WHERE title <> X'\'' OR 1 = 1 -- '",
        MySql,
        "hexadecimal digits",
    ),
    (
        "SELECT title FROM items WHERE title <> X'4g'",
        Sqlite,
        "hexadecimal digits",
    ),
    (
        "SELECT title FROM items WHERE title <> B''''",
        Postgres,
        "0 and 1",
    ),
    (
        "SELECT title FROM items WHERE title <> N'x'",
        Sqlite,
        "`N'...'`",
    ),
    ("SELECT * FROM [it]]ems]", Sqlite, "`[name]`"),
    (
        "SELECT title FROM items WHERE id = a@b",
        MySql,
        "before `@`",
    ),
    (
        "SELECT title FROM items WHERE title <> $1$x, 2 -- $1$",
        Postgres,
        "tag",
    ),
    (
        "SELECT title FROM items WHERE id >--x\n 5",
        Postgres,
        "`>--`",
    ),
    ("SELECT title FROM items WHERE id >-$1", Postgres, "`>-`"),
    // Text.
    ("", Sqlite, "holds no statement"),
    ("SELECT 1; SELECT 2", Postgres, "one statement per query"),
];

/// Forms each server reads as the parser does stay accepted.
const READ_ALIKE: &[(&str, Dialect)] = &[
    (
        "SELECT title FROM items WHERE title <> _utf8mb4'x' -- ünï",
        MySql,
    ),
    ("SELECT title FROM items WHERE title <> N'x' # c", MySql),
    (
        "SELECT title FROM items WHERE title <> X'41' AND id <> B'01'",
        MySql,
    ),
    (
        "SELECT title FROM items WHERE title <> 'ünï\u{a0}' /* ☃ */",
        MySql,
    ),
    ("SELECT `ünï` FROM items WHERE id = ?\r\n\t", MySql),
    ("SELECT @@sql_mode, @a, a$b FROM items WHERE id = ?", MySql),
    (
        r"SELECT title FROM items WHERE title <> E'\'' AND id = $1",
        Postgres,
    ),
    (
        "SELECT title FROM items WHERE title <> $t$ünï$t$ AND title <> $$x$$",
        Postgres,
    ),
    (
        "SELECT \"ünï\" FROM items WHERE title <> U&'\\0041' --\u{a0}c",
        Postgres,
    ),
    (
        "SELECT title FROM items WHERE id <> 1 /* a /* b */ c */",
        Postgres,
    ),
    (
        "SELECT title FROM items WHERE title <> x'41' --\u{a0}c",
        Sqlite,
    ),
    ("SELECT [ünï] FROM items WHERE title <> 'ünï'", Sqlite),
];

#[test]
fn forms_read_alike_are_accepted() {
    for (input, dialect) in READ_ALIKE {
        if let Err(e) = analyse(input, *dialect, &policy()) {
            panic!("{input}: {e}");
        }
    }
}

#[test]
fn refusals() {
    for (input, dialect, message) in REFUSED {
        match analyse(input, *dialect, &policy()) {
            Ok(a) => panic!("{input} was accepted as {}", a.sql),
            Err(e) => assert!(e.contains(message), "{input}: {e}"),
        }
    }
}

/// Refused when no table is declared: every write must be accounted for.
const UNDECLARED: &[(&str, Dialect)] = &[
    ("INSERT INTO audit (note) VALUES (?)", Sqlite),
    ("DELETE FROM audit", Postgres),
    ("UPDATE audit SET note = ?", MySql),
    ("REPLACE INTO audit (id, note) VALUES (?, ?)", MySql),
    (
        "UPDATE items i JOIN audit a ON a.item_id = i.id SET i.title = ?, a.note = ?",
        MySql,
    ),
    (
        "UPDATE items i JOIN audit a ON a.item_id = i.id SET title = ?",
        MySql,
    ),
    (
        "WITH u AS (UPDATE items SET title = $1 RETURNING id) INSERT INTO audit (item_id) SELECT id FROM u",
        Postgres,
    ),
];

#[test]
fn undeclared_writes() {
    for (input, dialect) in UNDECLARED {
        match analyse(input, *dialect, &strict()) {
            Ok(a) => panic!("{input} was accepted as {}", a.sql),
            Err(e) => assert!(e.contains("unguarded = \"audit\""), "{input}: {e}"),
        }
    }
}

/// A statement nested deeper than the parser's depth limit is refused, within a test
/// thread's stack (2 MiB): the macro runs inside the compiler, where a stack overflow would
/// abort the build.
#[test]
fn deep_nesting_is_refused() {
    for depth in [60, 2_000] {
        let nested = format!(
            "SELECT id FROM items WHERE id = {}?{}",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        let sub_selects = format!(
            "SELECT id FROM items WHERE id IN {}SELECT 1{}",
            "(SELECT 1 WHERE 1 IN (".repeat(depth / 2),
            "))".repeat(depth / 2)
        );
        for sql in [nested, sub_selects] {
            for dialect in [Sqlite, Postgres, MySql] {
                let e = analyse(&sql, dialect, &strict()).expect_err("too deep");
                assert!(e.contains("nests too deeply"), "{depth}: {e}");
            }
        }
    }
}

/// The ui tests of the macro pin these messages; a change here must update their `.stderr`.
#[test]
fn messages_pinned_by_ui_tests() {
    let pinned = [
        (
            "BEGIN",
            "only SELECT, INSERT, UPDATE and DELETE run in a guarded fn (the guard owns the \
             transaction; schema changes and other statements belong elsewhere)",
        ),
        (
            "UPDATE items SET WHERE id = ?",
            "this SQL does not parse, so the guard cannot prove it guarded (expected =, found id \
             at Line: 1, Column: 24)",
        ),
        (
            "INSERT INTO items (id, title) VALUES (?, ?) ON DUPLICATE KEY UPDATE title = ?",
            "ON DUPLICATE KEY UPDATE cannot carry the ownership predicate, so it would \
             overwrite another owner's row; INSERT, then run a guarded UPDATE",
        ),
    ];
    for (input, message) in pinned {
        let dialect = if input.contains("DUPLICATE") {
            MySql
        } else {
            Sqlite
        };
        assert_eq!(
            analyse(input, dialect, &policy()).err().as_deref(),
            Some(message)
        );
    }
}
