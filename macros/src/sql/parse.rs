//! Parsing one statement, and lexing SQL text in the fn's dialect.

use sqlparser::ast::Statement;
use sqlparser::dialect::{self, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

use super::Dialect;

fn grammar(dialect: Dialect) -> Box<dyn dialect::Dialect> {
    match dialect {
        Dialect::Postgres => Box::new(PostgreSqlDialect {}),
        Dialect::MySql => Box::new(MySqlDialect {}),
        Dialect::Sqlite => Box::new(SQLiteDialect {}),
    }
}

/// Parses exactly one statement.
pub fn parse(sql: &str, dialect: Dialect) -> Result<Statement, String> {
    parse_lexed(sql, dialect).map(|(statement, _)| statement)
}

/// Parses exactly one statement, and returns the placeholders its text lexes to (as
/// [`placeholders`] does) from the same pass of the lexer: lexing is a third of the work.
pub fn parse_lexed(sql: &str, dialect: Dialect) -> Result<(Statement, Vec<String>), String> {
    let grammar = grammar(dialect);
    let not_parsed = |e: ParserError| format!("this SQL does not parse: {e}{}", hint(sql, dialect));
    let tokens = Tokenizer::new(&*grammar, sql)
        .tokenize_with_location()
        .map_err(|e| not_parsed(e.into()))?;
    let placeholders = placeholders_of(tokens.iter().map(|t| &t.token));
    let mut statements = Parser::new(&*grammar)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(not_parsed)?;
    match statements.len() {
        1 => Ok((statements.remove(0), placeholders)),
        0 => Err("this SQL holds no statement".into()),
        _ => Err("one statement per query: the guard rewrites and checks each on its own".into()),
    }
}

/// `?` is an operator to PostgreSQL, so `WHERE id = ?` fails to parse rather than naming a
/// wrong placeholder: say what the parser cannot.
fn hint(sql: &str, dialect: Dialect) -> &'static str {
    let question = || {
        Tokenizer::new(&*grammar(dialect), sql)
            .tokenize()
            .is_ok_and(|tokens| tokens.contains(&Token::Question))
    };
    if dialect == Dialect::Postgres && question() {
        "; PostgreSQL placeholders are `$1`, `$2`, ..., not `?`"
    } else {
        ""
    }
}

/// The placeholders of some SQL text in lexical order, skipping string literals, quoted
/// identifiers and comments the way the database does.
pub fn placeholders(sql: &str, dialect: Dialect) -> Result<Vec<String>, String> {
    let tokens = Tokenizer::new(&*grammar(dialect), sql)
        .tokenize()
        .map_err(|e| format!("this SQL does not lex: {e}"))?;
    Ok(placeholders_of(tokens.iter()))
}

fn placeholders_of<'a>(tokens: impl Iterator<Item = &'a Token>) -> Vec<String> {
    tokens
        .filter_map(|token| match token {
            Token::Placeholder(p) => Some(p.clone()),
            // MySQL lexes `$1` as an identifier; the user meant a PostgreSQL placeholder.
            Token::Word(word) if word.quote_style.is_none() && word.value.starts_with('$') => {
                Some(word.value.clone())
            }
            _ => None,
        })
        .collect()
}
