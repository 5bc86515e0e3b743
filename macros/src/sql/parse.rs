//! Parsing one statement from the tokens `lex` read.

use sqlparser::ast::Statement;
use sqlparser::dialect::{self, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::Dialect;
use super::grammar::Grammar;
use super::lex::{self, Source};

/// The grammar the guard parses `dialect` with (see `grammar.rs`).
pub fn grammar(dialect: Dialect) -> &'static dyn dialect::Dialect {
    static POSTGRES: Grammar<PostgreSqlDialect> = Grammar(PostgreSqlDialect {});
    static MYSQL: Grammar<MySqlDialect> = Grammar(MySqlDialect {});
    static SQLITE: Grammar<SQLiteDialect> = Grammar(SQLiteDialect {});
    match dialect {
        Dialect::Postgres => &POSTGRES,
        Dialect::MySql => &MYSQL,
        Dialect::Sqlite => &SQLITE,
    }
}

/// Lexes and parses exactly one statement.
pub fn parse(sql: &str, dialect: Dialect) -> Result<(Source<'_>, Statement), String> {
    let source = lex::lex(sql, dialect)?;
    let statement = statement(&source, dialect)?;
    Ok((source, statement))
}

/// Lexes (default mode) and parses the guard's own splice of an accepted statement.
pub fn parse_spliced(sql: &str, dialect: Dialect) -> Result<(Source<'_>, Statement), String> {
    let source = lex::lex_spliced(sql, dialect)?;
    let statement = statement(&source, dialect)?;
    Ok((source, statement))
}

/// Parses the one statement of some lexed text.
pub fn statement(source: &Source<'_>, dialect: Dialect) -> Result<Statement, String> {
    let not_parsed = |e: ParserError| {
        let message = match e {
            ParserError::ParserError(m) | ParserError::TokenizerError(m) => m,
            ParserError::RecursionLimitExceeded => "it nests too deeply".into(),
        };
        format!(
            "this SQL does not parse, so the guard cannot prove it guarded ({}){}",
            readable(&message),
            hint(source, dialect, &message)
        )
    };
    let mut statements = Parser::new(grammar(dialect))
        .with_tokens_with_locations(source.spanned.clone())
        .parse_statements()
        .map_err(not_parsed)?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        0 => Err("this SQL holds no statement".into()),
        _ => Err("one statement per query: the guard rewrites and checks each on its own".into()),
    }
}

/// The parser's message in the user's terms: where, and what it found; its list of what it
/// expected is grammar, shown only when short.
fn readable(message: &str) -> String {
    let message = message.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let Some(rest) = message.strip_prefix("Expected: ") else {
        return message.to_owned();
    };
    match rest.rsplit_once(", found: ") {
        Some((expected, found)) if expected.len() <= 40 => {
            format!("expected {expected}, found {found}")
        }
        Some((_, found)) => format!("unexpected {found}"),
        None => message.to_owned(),
    }
}

/// What the parser cannot say: `?` is an operator to PostgreSQL, so `WHERE id = ?` fails to
/// parse rather than naming a wrong placeholder; SQLite's `a IS b` is beyond the parser.
fn hint(source: &Source<'_>, dialect: Dialect, message: &str) -> &'static str {
    if dialect == Dialect::Postgres && source.toks.iter().any(|t| t.token == Token::Question) {
        "; PostgreSQL placeholders are `$1`, `$2`, ..., not `?`"
    } else if dialect == Dialect::Sqlite && message.contains("after IS") {
        "; write SQLite's `a IS b` as `a IS NOT DISTINCT FROM b`"
    } else {
        ""
    }
}
