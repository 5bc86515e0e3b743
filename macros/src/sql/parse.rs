//! Parsing one statement, and lexing SQL text in the fn's dialect.

use sqlparser::ast::Statement;
use sqlparser::dialect::{self, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
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
    let parsed = Parser::parse_sql(&*grammar(dialect), sql);
    let mut statements =
        parsed.map_err(|e| format!("this SQL does not parse: {e}{}", hint(sql, dialect)))?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
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
    Ok(tokens
        .into_iter()
        .filter_map(|token| match token {
            Token::Placeholder(p) => Some(p),
            // MySQL lexes `$1` as an identifier; the user meant a PostgreSQL placeholder.
            Token::Word(word) if word.quote_style.is_none() && word.value.starts_with('$') => {
                Some(word.value)
            }
            _ => None,
        })
        .collect())
}
