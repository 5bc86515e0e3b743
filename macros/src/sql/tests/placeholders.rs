//! The fail-closed checks of placeholders: a value the bind order does not account for is an
//! error, never a shifted bind.

use crate::sql::Dialect::{MySql, Postgres, Sqlite};
use crate::sql::{Bind, analyse};

use super::policy;

#[test]
fn a_named_sqlite_parameter_is_refused() {
    // SQLite numbers `:name` among the `?`s: the subject's `?` would take its slot.
    for sql in [
        "SELECT * FROM items WHERE id = :id AND title = ?",
        "SELECT * FROM items WHERE id = @id",
        "SELECT * FROM items WHERE id = $id",
    ] {
        let error = analyse(sql, Sqlite, &policy()).expect_err(sql);
        assert!(error.contains("placeholder"), "{sql}: {error}");
    }
}

#[test]
fn numbered_placeholders_keep_their_numbers() {
    let a = analyse("SELECT $2, $1 FROM items", Postgres, &policy()).expect("guarded");
    assert_eq!(
        a.sql,
        "SELECT $2, $1 FROM items WHERE (items.owner_id = $3 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT))"
    );
    assert_eq!(a.binds, [Bind::User(0), Bind::User(1), Bind::Subject]);
}

#[test]
fn positional_placeholders_bind_in_the_order_of_the_spliced_text() {
    let a = analyse(
        "SELECT ? FROM items WHERE id = ? ORDER BY ? LIMIT ?",
        MySql,
        &policy(),
    )
    .expect("guarded");
    assert_eq!(
        a.sql,
        "SELECT ? FROM items WHERE items.owner_id = CAST(? AS BINARY) AND (id = ?) ORDER BY ? LIMIT ?"
    );
    assert_eq!(
        a.binds,
        [
            Bind::User(0),
            Bind::Subject,
            Bind::User(1),
            Bind::User(2),
            Bind::User(3)
        ]
    );
}

/// SQLite numbers the guard's `$N` after the user's `?`s: the user's values bind in their
/// order, the subject once after them, however often the predicate compares it.
#[test]
fn sqlite_numbers_the_guards_placeholders_after_the_users() {
    let a = analyse(
        "SELECT ? FROM items WHERE id = ? ORDER BY ? LIMIT ?",
        Sqlite,
        &policy(),
    )
    .expect("guarded");
    assert_eq!(
        a.sql,
        "SELECT ? FROM items WHERE (items.owner_id = $5 AND items.owner_id = $5 COLLATE BINARY) AND (id = ?) ORDER BY ? LIMIT ?"
    );
    assert_eq!(
        a.binds,
        [
            Bind::User(0),
            Bind::User(1),
            Bind::User(2),
            Bind::User(3),
            Bind::Subject
        ]
    );
    // A `$N` of the user's own is refused on SQLite: it would take a guard's value.
    let e = analyse("SELECT title FROM items WHERE id = $1", Sqlite, &policy())
        .expect_err("a `$N` of the user's");
    assert!(e.contains("placeholder `$1` is not supported"), "{e}");
}
