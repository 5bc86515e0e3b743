//! Parsing one statement from the tokens `lex` read.

use sqlparser::ast::Statement;
use sqlparser::dialect::{self, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::Dialect;
use super::lex::{self, Source};

fn grammar(dialect: Dialect) -> &'static dyn dialect::Dialect {
    match dialect {
        Dialect::Postgres => &PostgreSqlDialect {},
        Dialect::MySql => &MySqlDialect {},
        Dialect::Sqlite => &SQLiteDialect {},
    }
}

/// Lexes and parses exactly one statement.
pub fn parse(sql: &str, dialect: Dialect) -> Result<(Source<'_>, Statement), String> {
    let source = lex::lex(sql, dialect)?;
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
            message.trim_end_matches(|c: char| c == '.' || c.is_whitespace()),
            hint(source, dialect)
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

/// `?` is an operator to PostgreSQL, so `WHERE id = ?` fails to parse rather than naming a
/// wrong placeholder: say what the parser cannot.
fn hint(source: &Source<'_>, dialect: Dialect) -> &'static str {
    if dialect == Dialect::Postgres && source.toks.iter().any(|t| t.token == Token::Question) {
        "; PostgreSQL placeholders are `$1`, `$2`, ..., not `?`"
    } else {
        ""
    }
}
