//! The fail-closed checks of the placeholder pass: a value the markers do not reach is an
//! error, never a shifted bind.

use crate::sql::Dialect::{MySql, Postgres};
use crate::sql::{Dialect, parse, placeholders};

/// The placeholders `text` lexes to: what `mark` checks the statement's AST against.
fn lexed(text: &str, dialect: Dialect) -> Vec<String> {
    parse::placeholders(text, dialect).expect("lexes")
}

#[test]
fn a_placeholder_outside_the_ast_is_refused() {
    // The statement holds one placeholder; the text it claims to come from holds two.
    let mut statement = parse::parse("SELECT ? FROM t", MySql).expect("parses");
    let error = placeholders::mark(&mut statement, &lexed("SELECT ?, ? FROM t", MySql), MySql)
        .err()
        .expect("refused");
    assert!(error.contains("cannot locate every placeholder"), "{error}");
}

#[test]
fn a_placeholder_the_guard_did_not_write_is_refused() {
    let mut statement = parse::parse("SELECT ? FROM t", MySql).expect("parses");
    let marked =
        placeholders::mark(&mut statement, &lexed("SELECT ? FROM t", MySql), MySql).expect("marks");
    // A rendering with one marker and one stray `?` must not yield one bind for two values.
    let error = placeholders::finish(&format!("{statement} WHERE x = ?"), &marked, MySql)
        .expect_err("refused");
    assert!(error.contains("did not write"), "{error}");
}

#[test]
fn numbered_placeholders_map_back_to_their_values() {
    let mut statement = parse::parse("SELECT $2, $1", Postgres).expect("parses");
    let marked = placeholders::mark(&mut statement, &lexed("SELECT $2, $1", Postgres), Postgres)
        .expect("marks");
    assert_eq!(marked.user_params, 2);
    let (sql, binds) =
        placeholders::finish(&statement.to_string(), &marked, Postgres).expect("finishes");
    assert_eq!(sql, "SELECT $2, $1");
    assert_eq!(
        binds,
        [crate::sql::Bind::User(0), crate::sql::Bind::User(1)]
    );
}
