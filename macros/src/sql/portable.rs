//! A statement written once for every backend (`Guard<Any>`): `?` placeholders, analysed for
//! each backend as that backend reads it.
//!
//! SQLite and MySQL/MariaDB run the text as written. PostgreSQL numbers its placeholders, so
//! its text is the user's with each `?` replaced by `$1`, `$2`, ... at the offsets the SQLite
//! lexer reported, and its own analysis must find exactly those placeholders there: a `?` that
//! another backend reads as an operator or inside a string is refused, never renumbered.
//! Each backend's statement is then spliced and verified on its own, as for a fn of that
//! backend alone.

use std::fmt::Write as _;

use super::lex;
use super::placeholders::{self, Style};
use super::{Analysis, Dialect, Policy, rewrite};

/// The statement's analysis for each backend: SQLite, PostgreSQL, MySQL.
pub fn analyse_every(sql: &str, policy: &Policy<'_>) -> Result<Vec<(Dialect, Analysis)>, String> {
    // One text binds in order: `$N`, `?NNN` and named placeholders are each one backend's.
    let source = on(Dialect::Sqlite, lex::lex(sql, Dialect::Sqlite))?;
    if !placeholders::read(&source, Dialect::Sqlite).is_ok_and(|p| p.style == Style::Positional) {
        return Err(
            "a statement for every backend (`Guard<Any>`) writes its values as `?`, bound in \
             order"
                .into(),
        );
    }
    let sqlite = on(Dialect::Sqlite, rewrite(sql, Dialect::Sqlite, policy))?;
    let mysql = on(Dialect::MySql, rewrite(sql, Dialect::MySql, policy))?;
    if mysql.params.at != sqlite.params.at {
        return Err(differs(Dialect::MySql));
    }
    let (numbered, expected) = number(sql, &sqlite.params.at);
    let postgres = on(
        Dialect::Postgres,
        rewrite(&numbered, Dialect::Postgres, policy),
    )?;
    if postgres.params.at != expected {
        return Err(differs(Dialect::Postgres));
    }
    let facts = |a: &Analysis| {
        (
            a.user_params,
            a.guarded,
            a.writes,
            a.zero_rows_denies,
            a.returns_rows,
            a.existence_check.is_some(),
            a.conflicts.len(),
        )
    };
    let each = [
        (Dialect::Sqlite, sqlite.analysis),
        (Dialect::Postgres, postgres.analysis),
        (Dialect::MySql, mysql.analysis),
    ];
    if let Some((dialect, _)) = each.iter().find(|(_, a)| facts(a) != facts(&each[0].1)) {
        return Err(differs(*dialect));
    }
    Ok(each.into())
}

/// The text with the `?` at each of `at` numbered, and where each number now sits.
fn number(sql: &str, at: &[(usize, usize)]) -> (String, Vec<(usize, usize)>) {
    let mut text = String::with_capacity(sql.len() + 3 * at.len());
    let mut moved = Vec::with_capacity(at.len());
    let mut done = 0;
    for &(offset, index) in at {
        text.push_str(&sql[done..offset]);
        moved.push((text.len(), index));
        let _ = write!(text, "${}", index + 1);
        done = offset + 1;
    }
    text.push_str(&sql[done..]);
    (text, moved)
}

fn on<T>(dialect: Dialect, result: Result<T, String>) -> Result<T, String> {
    result.map_err(|e| format!("on {}: {e}", dialect.name()))
}

fn differs(dialect: Dialect) -> String {
    format!(
        "{} reads this statement differently from SQLite, so it cannot be written once for \
         every backend; write it so every backend reads it alike, or guard a fn of one backend",
        dialect.name()
    )
}
