//! The rewrite table: (input, dialect) -> (exact output, binds), one row per form.

use super::{S, U, run};
use crate::sql::Bind;
use crate::sql::Dialect::{self, MySql, Postgres, Sqlite};

/// (input, dialect, output, binds). The policy guards `items.owner_id` and declares `audit`.
const REWRITES: &[(&str, Dialect, &str, &[Bind])] = &[
    // A SELECT without FROM ends its list at the WHERE: the subject goes before it, and the
    // NOT EXISTS reads the caller's rows only (an idempotent insert of a per-user row).
    (
        "INSERT INTO items (title) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM items f WHERE f.title = ?)",
        Sqlite,
        "INSERT INTO items (title, owner_id) SELECT ?, $3 WHERE NOT EXISTS (SELECT 1 FROM items f WHERE (f.owner_id = $3 AND f.owner_id = $3 COLLATE BINARY) AND (f.title = ?))",
        &[U(0), U(1), S],
    ),
    (
        "INSERT INTO items (title) SELECT $1 WHERE 1 = $2",
        Postgres,
        "INSERT INTO items (title, owner_id) SELECT $1, $3 WHERE 1 = $2",
        &[U(0), U(1), S],
    ),
    (
        "UPDATE items SET title = ? WHERE id = ?",
        Sqlite,
        "UPDATE items SET title = ? WHERE (items.owner_id = $3 AND items.owner_id = $3 COLLATE BINARY) AND (id = ?)",
        &[U(0), U(1), S],
    ),
    (
        "UPDATE items SET title = ? WHERE id = ? LIMIT ?",
        MySql,
        "UPDATE items SET title = ? WHERE items.owner_id = CAST(? AS BINARY) AND (id = ?) LIMIT ?",
        &[U(0), S, U(1), U(2)],
    ),
    (
        "UPDATE items SET title = $2 WHERE id = $1",
        Postgres,
        "UPDATE items SET title = $2 WHERE (items.owner_id = $3 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT)) AND (id = $1)",
        &[U(0), U(1), S],
    ),
    (
        "UPDATE items SET title = ?2 WHERE id = ?1",
        Sqlite,
        "UPDATE items SET title = ?2 WHERE (items.owner_id = ?3 AND items.owner_id = ?3 COLLATE BINARY) AND (id = ?1)",
        &[U(0), U(1), S],
    ),
    (
        "UPDATE items SET version = version + 1 WHERE id = ? OR title = ? RETURNING version",
        Sqlite,
        "UPDATE items SET version = version + 1 WHERE (items.owner_id = $3 AND items.owner_id = $3 COLLATE BINARY) AND (id = ? OR title = ?) RETURNING version",
        &[U(0), U(1), S],
    ),
    (
        "DELETE FROM items AS i WHERE i.id = $1",
        Postgres,
        "DELETE FROM items AS i WHERE (i.owner_id = $2 AND CAST(i.owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT)) AND (i.id = $1)",
        &[U(0), S],
    ),
    (
        "DELETE FROM items",
        Postgres,
        "DELETE FROM items WHERE (items.owner_id = $1 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($1 AS TEXT))",
        &[S],
    ),
    (
        "DELETE FROM items WHERE id = ? ORDER BY id LIMIT ?",
        MySql,
        "DELETE FROM items WHERE items.owner_id = CAST(? AS BINARY) AND (id = ?) ORDER BY id LIMIT ?",
        &[S, U(0), U(1)],
    ),
    (
        "SELECT title FROM items WHERE id = ?",
        Sqlite,
        "SELECT title FROM items WHERE (items.owner_id = $2 AND items.owner_id = $2 COLLATE BINARY) AND (id = ?)",
        &[U(0), S],
    ),
    (
        "SELECT i.id, a.note FROM items i JOIN audit a ON a.item_id = i.id WHERE a.note = ? LIMIT ?",
        MySql,
        "SELECT i.id, a.note FROM items i JOIN audit a ON a.item_id = i.id WHERE i.owner_id = CAST(? AS BINARY) AND (a.note = ?) LIMIT ?",
        &[S, U(0), U(1)],
    ),
    (
        "SELECT a.note, i.title FROM audit a LEFT JOIN items i ON i.id = a.item_id",
        Postgres,
        "SELECT a.note, i.title FROM audit a LEFT JOIN items i ON (i.owner_id = $1 AND CAST(i.owner_id AS TEXT) COLLATE \"C\" = CAST($1 AS TEXT)) AND (i.id = a.item_id)",
        &[S],
    ),
    (
        "SELECT count(*) FROM audit WHERE item_id IN (SELECT id FROM items WHERE title = $1)",
        Postgres,
        "SELECT count(*) FROM audit WHERE item_id IN (SELECT id FROM items WHERE (items.owner_id = $2 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT)) AND (title = $1))",
        &[U(0), S],
    ),
    (
        "SELECT id FROM items UNION SELECT id FROM items WHERE id > ?",
        Sqlite,
        "SELECT id FROM items WHERE (items.owner_id = $2 AND items.owner_id = $2 COLLATE BINARY) UNION SELECT id FROM items WHERE (items.owner_id = $2 AND items.owner_id = $2 COLLATE BINARY) AND (id > ?)",
        &[U(0), S],
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
        "INSERT INTO items (title, owner_id) VALUES (?, $3), (?, $3)",
        &[U(0), U(1), S],
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
        "INSERT INTO items (title, owner_id) SELECT title, ? FROM items WHERE items.owner_id = CAST(? AS BINARY) AND (id = ?)",
        &[S, S, U(0)],
    ),
    (
        "INSERT INTO items (id, title) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        Postgres,
        "INSERT INTO items (id, title, owner_id) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET title = excluded.title WHERE (items.owner_id = $3 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT))",
        &[U(0), U(1), S],
    ),
    (
        "INSERT INTO items (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title WHERE items.title <> ?",
        Sqlite,
        "INSERT INTO items (id, title, owner_id) VALUES (?, ?, $4) ON CONFLICT (id) DO UPDATE SET title = excluded.title WHERE (items.owner_id = $4 AND items.owner_id = $4 COLLATE BINARY) AND (items.title <> ?)",
        &[U(0), U(1), U(2), S],
    ),
    (
        "WITH d AS (DELETE FROM items WHERE id = $1 RETURNING id) SELECT id FROM d",
        Postgres,
        "WITH d AS (DELETE FROM items WHERE (items.owner_id = $2 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT)) AND (id = $1) RETURNING id) SELECT id FROM d",
        &[U(0), S],
    ),
    (
        "UPDATE items SET title = 'x' WHERE id = ?",
        Sqlite,
        "UPDATE items SET title = 'x' WHERE (items.owner_id = $2 AND items.owner_id = $2 COLLATE BINARY) AND (id = ?)",
        &[U(0), S],
    ),
    (
        "UPDATE items SET title = $1 WHERE id = $2 RETURNING id, title",
        Postgres,
        "UPDATE items SET title = $1 WHERE (items.owner_id = $3 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT)) AND (id = $2) RETURNING id, title",
        &[U(0), U(1), S],
    ),
    (
        "UPDATE items AS i SET title = ? WHERE i.id = ?",
        Sqlite,
        "UPDATE items AS i SET title = ? WHERE (i.owner_id = $3 AND i.owner_id = $3 COLLATE BINARY) AND (i.id = ?)",
        &[U(0), U(1), S],
    ),
    (
        "UPDATE items i SET i.title = ? WHERE i.id = ? ORDER BY i.id LIMIT ?",
        MySql,
        "UPDATE items i SET i.title = ? WHERE i.owner_id = CAST(? AS BINARY) AND (i.id = ?) ORDER BY i.id LIMIT ?",
        &[U(0), S, U(1), U(2)],
    ),
    (
        "UPDATE items SET title = ?",
        MySql,
        "UPDATE items SET title = ? WHERE items.owner_id = CAST(? AS BINARY)",
        &[U(0), S],
    ),
    (
        "UPDATE items SET title = ? WHERE id = ? RETURNING ?",
        Sqlite,
        "UPDATE items SET title = ? WHERE (items.owner_id = $4 AND items.owner_id = $4 COLLATE BINARY) AND (id = ?) RETURNING ?",
        &[U(0), U(1), U(2), S],
    ),
    (
        "UPDATE public.items SET title = $1 WHERE id = $2",
        Postgres,
        "UPDATE public.items SET title = $1 WHERE (public.items.owner_id = $3 AND CAST(public.items.owner_id AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT)) AND (id = $2)",
        &[U(0), U(1), S],
    ),
    (
        "UPDATE \"Items\" SET title = $1",
        Postgres,
        "UPDATE \"Items\" SET title = $1 WHERE (\"Items\".owner_id = $2 AND CAST(\"Items\".owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT))",
        &[U(0), S],
    ),
    (
        "UPDATE `items` SET title = ?",
        MySql,
        "UPDATE `items` SET title = ? WHERE `items`.owner_id = CAST(? AS BINARY)",
        &[U(0), S],
    ),
    (
        "UPDATE items SET title = a.note FROM audit a WHERE a.item_id = items.id AND a.id = $1",
        Postgres,
        "UPDATE items SET title = a.note FROM audit a WHERE (items.owner_id = $2 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT)) AND (a.item_id = items.id AND a.id = $1)",
        &[U(0), S],
    ),
    (
        "UPDATE items SET title = a.note FROM audit a WHERE a.item_id = items.id AND a.id = ?",
        Sqlite,
        "UPDATE items SET title = a.note FROM audit a WHERE (items.owner_id = $2 AND items.owner_id = $2 COLLATE BINARY) AND (a.item_id = items.id AND a.id = ?)",
        &[U(0), S],
    ),
    (
        "UPDATE audit SET note = ? WHERE item_id IN (SELECT id FROM items WHERE title = ?)",
        Sqlite,
        "UPDATE audit SET note = ? WHERE item_id IN (SELECT id FROM items WHERE (items.owner_id = $3 AND items.owner_id = $3 COLLATE BINARY) AND (title = ?))",
        &[U(0), U(1), S],
    ),
    (
        "UPDATE items i JOIN audit a ON a.item_id = i.id SET i.title = a.note WHERE a.id = ?",
        MySql,
        "UPDATE items i JOIN audit a ON a.item_id = i.id SET i.title = a.note WHERE i.owner_id = CAST(? AS BINARY) AND (a.id = ?)",
        &[S, U(0)],
    ),
    (
        "UPDATE audit a JOIN items i ON a.item_id = i.id SET a.note = ? WHERE i.id = ?",
        MySql,
        "UPDATE audit a JOIN items i ON a.item_id = i.id SET a.note = ? WHERE i.owner_id = CAST(? AS BINARY) AND (i.id = ?)",
        &[U(0), S, U(1)],
    ),
    (
        "UPDATE OR IGNORE items SET title = ? WHERE id = ?",
        Sqlite,
        "UPDATE OR IGNORE items SET title = ? WHERE (items.owner_id = $3 AND items.owner_id = $3 COLLATE BINARY) AND (id = ?)",
        &[U(0), U(1), S],
    ),
    (
        "DELETE FROM items WHERE id = ?",
        MySql,
        "DELETE FROM items WHERE items.owner_id = CAST(? AS BINARY) AND (id = ?)",
        &[S, U(0)],
    ),
    (
        "DELETE FROM items WHERE id = ?1 RETURNING id",
        Sqlite,
        "DELETE FROM items WHERE (items.owner_id = ?2 AND items.owner_id = ?2 COLLATE BINARY) AND (id = ?1) RETURNING id",
        &[U(0), S],
    ),
    (
        "DELETE FROM items WHERE id = ? OR title = ?",
        Sqlite,
        "DELETE FROM items WHERE (items.owner_id = $3 AND items.owner_id = $3 COLLATE BINARY) AND (id = ? OR title = ?)",
        &[U(0), U(1), S],
    ),
    (
        "DELETE FROM items USING audit a WHERE a.item_id = items.id AND a.id = $1",
        Postgres,
        "DELETE FROM items USING audit a WHERE (items.owner_id = $2 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT)) AND (a.item_id = items.id AND a.id = $1)",
        &[U(0), S],
    ),
    (
        "DELETE i FROM items i JOIN audit a ON a.item_id = i.id WHERE a.note = ?",
        MySql,
        "DELETE i FROM items i JOIN audit a ON a.item_id = i.id WHERE i.owner_id = CAST(? AS BINARY) AND (a.note = ?)",
        &[S, U(0)],
    ),
    (
        "DELETE FROM i USING items AS i JOIN audit AS a ON a.item_id = i.id WHERE a.note = ?",
        MySql,
        "DELETE FROM i USING items AS i JOIN audit AS a ON a.item_id = i.id WHERE i.owner_id = CAST(? AS BINARY) AND (a.note = ?)",
        &[S, U(0)],
    ),
    (
        "WITH old AS (SELECT id FROM items WHERE title = $1) DELETE FROM items WHERE id IN (SELECT id FROM old)",
        Postgres,
        "WITH old AS (SELECT id FROM items WHERE (items.owner_id = $2 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT)) AND (title = $1)) DELETE FROM items WHERE (items.owner_id = $2 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT)) AND (id IN (SELECT id FROM old))",
        &[U(0), S],
    ),
    (
        "SELECT * FROM items i RIGHT JOIN audit a ON a.item_id = i.id WHERE a.id = ?",
        Sqlite,
        "SELECT * FROM items i RIGHT JOIN audit a ON (i.owner_id = $2 AND i.owner_id = $2 COLLATE BINARY) AND (a.item_id = i.id) WHERE a.id = ?",
        &[U(0), S],
    ),
    (
        "SELECT * FROM audit a FULL JOIN items i ON a.item_id = i.id",
        Postgres,
        "SELECT * FROM audit a FULL JOIN items i ON a.item_id = i.id WHERE (i.owner_id = $1 AND CAST(i.owner_id AS TEXT) COLLATE \"C\" = CAST($1 AS TEXT))",
        &[S],
    ),
    (
        "SELECT * FROM audit a LEFT JOIN items i USING (id)",
        Postgres,
        "SELECT * FROM audit a LEFT JOIN items i USING (id) WHERE (i.owner_id = $1 AND CAST(i.owner_id AS TEXT) COLLATE \"C\" = CAST($1 AS TEXT))",
        &[S],
    ),
    (
        "SELECT * FROM audit a LEFT JOIN (items i JOIN tags t ON t.item_id = i.id) ON i.id = a.item_id",
        Postgres,
        "SELECT * FROM audit a LEFT JOIN (items i JOIN tags t ON t.item_id = i.id) ON (i.owner_id = $1 AND CAST(i.owner_id AS TEXT) COLLATE \"C\" = CAST($1 AS TEXT)) AND (i.id = a.item_id)",
        &[S],
    ),
    (
        "SELECT * FROM items, items AS j WHERE items.id = j.id",
        Sqlite,
        "SELECT * FROM items, items AS j WHERE (items.owner_id = $1 AND items.owner_id = $1 COLLATE BINARY) AND (j.owner_id = $1 AND j.owner_id = $1 COLLATE BINARY) AND (items.id = j.id)",
        &[S],
    ),
    (
        "SELECT (SELECT count(*) FROM items) AS n",
        MySql,
        "SELECT (SELECT count(*) FROM items WHERE items.owner_id = CAST(? AS BINARY)) AS n",
        &[S],
    ),
    (
        "SELECT * FROM (SELECT * FROM items WHERE id > ?) AS x LIMIT ?",
        MySql,
        "SELECT * FROM (SELECT * FROM items WHERE items.owner_id = CAST(? AS BINARY) AND (id > ?)) AS x LIMIT ?",
        &[S, U(0), U(1)],
    ),
    (
        "WITH mine AS (SELECT * FROM items) SELECT * FROM mine WHERE id = $1",
        Postgres,
        "WITH mine AS (SELECT * FROM items WHERE (items.owner_id = $2 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT))) SELECT * FROM mine WHERE id = $1",
        &[U(0), S],
    ),
    (
        "SELECT id FROM items WHERE id = ? UNION ALL SELECT item_id FROM audit WHERE note = ?",
        MySql,
        "SELECT id FROM items WHERE items.owner_id = CAST(? AS BINARY) AND (id = ?) UNION ALL SELECT item_id FROM audit WHERE note = ?",
        &[S, U(0), U(1)],
    ),
    (
        "SELECT * FROM public.items WHERE id = $1",
        Postgres,
        "SELECT * FROM public.items WHERE (public.items.owner_id = $2 AND CAST(public.items.owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT)) AND (id = $1)",
        &[U(0), S],
    ),
    (
        "SELECT * FROM items WHERE id = $1 OFFSET $2 LIMIT $3",
        Postgres,
        "SELECT * FROM items WHERE (items.owner_id = $4 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($4 AS TEXT)) AND (id = $1) OFFSET $2 LIMIT $3",
        &[U(0), U(1), U(2), S],
    ),
    (
        "SELECT * FROM items LIMIT ?, ?",
        MySql,
        "SELECT * FROM items WHERE items.owner_id = CAST(? AS BINARY) LIMIT ?, ?",
        &[S, U(0), U(1)],
    ),
    (
        "SELECT * FROM items WHERE title = '?' AND id = ? -- ?",
        MySql,
        "SELECT * FROM items WHERE items.owner_id = CAST(? AS BINARY) AND (title = '?' AND id = ?) -- ?",
        &[S, U(0)],
    ),
    (
        "SELECT * FROM items WHERE id = ? FOR UPDATE",
        MySql,
        "SELECT * FROM items WHERE items.owner_id = CAST(? AS BINARY) AND (id = ?) FOR UPDATE",
        &[S, U(0)],
    ),
    (
        "INSERT INTO items (title) VALUES (?)",
        MySql,
        "INSERT INTO items (title, owner_id) VALUES (?, ?)",
        &[U(0), S],
    ),
    (
        "INSERT INTO items (title, body) VALUES (?, ?), (?, ?)",
        MySql,
        "INSERT INTO items (title, body, owner_id) VALUES (?, ?, ?), (?, ?, ?)",
        &[U(0), U(1), S, U(2), U(3), S],
    ),
    (
        "INSERT INTO items (title) VALUES (?1), (?2)",
        Sqlite,
        "INSERT INTO items (title, owner_id) VALUES (?1, ?3), (?2, ?3)",
        &[U(0), U(1), S],
    ),
    (
        "INSERT INTO items (title) VALUES ($1), ($2) RETURNING id",
        Postgres,
        "INSERT INTO items (title, owner_id) VALUES ($1, $3), ($2, $3) RETURNING id",
        &[U(0), U(1), S],
    ),
    (
        "INSERT INTO items (title) SELECT note FROM audit WHERE id = $1",
        Postgres,
        "INSERT INTO items (title, owner_id) SELECT note, $2 FROM audit WHERE id = $1",
        &[U(0), S],
    ),
    (
        "INSERT INTO items AS t (id, title) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET title = $2",
        Postgres,
        "INSERT INTO items AS t (id, title, owner_id) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET title = $2 WHERE (t.owner_id = $3 AND CAST(t.owner_id AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT))",
        &[U(0), U(1), S],
    ),
    (
        "INSERT INTO items (id, title) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        Postgres,
        "INSERT INTO items (id, title, owner_id) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        &[U(0), U(1), S],
    ),
    (
        "INSERT INTO items (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title RETURNING id",
        Sqlite,
        "INSERT INTO items (id, title, owner_id) VALUES (?, ?, $3) ON CONFLICT (id) DO UPDATE SET title = excluded.title WHERE (items.owner_id = $3 AND items.owner_id = $3 COLLATE BINARY) RETURNING id",
        &[U(0), U(1), S],
    ),
    (
        "INSERT OR IGNORE INTO items (title) VALUES (?)",
        Sqlite,
        "INSERT OR IGNORE INTO items (title, owner_id) VALUES (?, $2)",
        &[U(0), S],
    ),
    (
        "INSERT IGNORE INTO items (title) VALUES (?)",
        MySql,
        "INSERT IGNORE INTO items (title, owner_id) VALUES (?, ?)",
        &[U(0), S],
    ),
    (
        "INSERT INTO public.items (id, title) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET title = $2",
        Postgres,
        "INSERT INTO public.items (id, title, owner_id) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET title = $2 WHERE (items.owner_id = $3 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT))",
        &[U(0), U(1), S],
    ),
    (
        "WITH u AS (UPDATE items SET title = $1 WHERE id = $2 RETURNING id) SELECT count(*) FROM u",
        Postgres,
        "WITH u AS (UPDATE items SET title = $1 WHERE (items.owner_id = $3 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT)) AND (id = $2) RETURNING id) SELECT count(*) FROM u",
        &[U(0), U(1), S],
    ),
    (
        "WITH n AS (INSERT INTO items (title) VALUES ($1) RETURNING id) SELECT id FROM n",
        Postgres,
        "WITH n AS (INSERT INTO items (title, owner_id) VALUES ($1, $2) RETURNING id) SELECT id FROM n",
        &[U(0), S],
    ),
    (
        "SELECT count(*) FROM audit WHERE id = ?",
        MySql,
        "SELECT count(*) FROM audit WHERE id = ?",
        &[U(0)],
    ),
];

#[test]
fn rewrites() {
    let wrong: Vec<String> = REWRITES
        .iter()
        .filter_map(|(input, dialect, output, binds)| {
            let analysis = run(input, *dialect);
            (analysis.sql != *output || analysis.binds != *binds)
                .then(|| format!("{input}\n  -> {}\n  {:?}", analysis.sql, analysis.binds))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
