//! Statements for every backend (`Guard<Any>`): one text, each backend's own rewrite.

use super::{MySql, Postgres, S, Sqlite, U, policy};
use crate::sql::{Backends, analyse_for};

fn every(sql: &str) -> Result<Vec<(super::Dialect, String, Vec<super::Bind>)>, String> {
    let analyses = analyse_for(sql, Backends::Every, &policy())?;
    Ok(analyses
        .each()
        .iter()
        .map(|(dialect, a)| (*dialect, a.sql.clone(), a.binds.clone()))
        .collect())
}

#[test]
fn each_backend_gets_its_own_placeholders_and_predicate() {
    let got = every("UPDATE items SET title = ? WHERE id = ?").expect("portable");
    assert_eq!(
        got,
        vec![
            (
                Sqlite,
                "UPDATE items SET title = ? WHERE (items.owner_id = $3 AND items.owner_id = $3 COLLATE BINARY) AND (id = ?)"
                    .to_owned(),
                vec![U(0), U(1), S],
            ),
            (
                Postgres,
                "UPDATE items SET title = $1 WHERE (items.owner_id = $3 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT)) AND (id = $2)"
                    .to_owned(),
                vec![U(0), U(1), S],
            ),
            (
                MySql,
                "UPDATE items SET title = ? WHERE items.owner_id = CAST(? AS BINARY) AND (id = ?)"
                    .to_owned(),
                vec![U(0), S, U(1)],
            ),
        ]
    );
}

#[test]
fn the_subject_goes_where_each_backend_binds_it() {
    let got = every("SELECT id FROM items WHERE id > ? LIMIT ?").expect("portable");
    let binds: Vec<_> = got.iter().map(|(d, _, b)| (*d, b.clone())).collect();
    assert_eq!(
        binds,
        vec![
            (Sqlite, vec![U(0), U(1), S]),
            // Numbered: the subject is `$3`, bound last.
            (Postgres, vec![U(0), U(1), S]),
            (MySql, vec![S, U(0), U(1)]),
        ]
    );
    let postgres = &got[1].1;
    assert!(
        postgres.contains("id > $1") && postgres.contains("LIMIT $2"),
        "{postgres}"
    );
}

#[test]
fn strings_and_comments_keep_their_question_marks() {
    let got = every("SELECT id FROM items WHERE title = '?' /* ? */ AND id = ?").expect("ok");
    let postgres = &got[1].1;
    assert!(
        postgres.contains("title = '?' /* ? */ AND id = $1"),
        "{postgres}"
    );
}

#[test]
fn what_one_text_cannot_say_for_every_backend_is_refused() {
    let refused = [
        // PostgreSQL's numbers, and SQLite's: one text binds in order.
        ("DELETE FROM items WHERE id = $1", "`?`"),
        ("DELETE FROM items WHERE id = ?1", "`?`"),
        // A backslash ends a MySQL string early.
        (
            "SELECT id FROM items WHERE title = 'a\\' OR id = ?",
            "on MySQL",
        ),
        // PostgreSQL reads `$$?$$` as a string: a `?` SQLite sees there must not become `$1`.
        ("SELECT id FROM items WHERE title = $$?$$ AND id = ?", "`?`"),
        // MySQL reads `#` as a comment to the end of the line; the others do not.
        ("SELECT id FROM items # ?\n WHERE id = ?", "on SQLite"),
        // MySQL runs executable comments.
        ("SELECT id FROM items /*! WHERE 1 */", "MySQL"),
        // Each backend's own refusal names it.
        ("DELETE FROM ONLY items WHERE id = ?", "on SQLite"),
    ];
    for (sql, says) in refused {
        match every(sql) {
            Ok(got) => panic!("{sql}: accepted as {got:?}"),
            Err(e) => assert!(e.contains(says), "{sql}: {e}"),
        }
    }
}
