//! A policy's rule rendered in one SQL dialect: the text each statement splices into its
//! references (see `inject`), each comparison of a column with a claim made byte-exact, and
//! the validity check the runtime asks after a statement that found nothing.
//!
//! The rule was checked once when the file was read (`policy::rule`); each statement renders
//! it in its dialect and parses it again (`parse_expr`), so the predicate the verifier expects
//! is the one the database reads.

use std::fmt::Write as _;

use sqlparser::ast::Expr;
use sqlparser::parser::Parser;

use super::Dialect;
use super::parse::grammar;
use crate::policy::{Claim, Part, Rule};

/// A piece of a condition rendered for one dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered<'a> {
    Text(&'a str),
    Row,
    Claim(&'a Claim),
}

impl Rule {
    /// Its text in `dialect`: each comparison of a column with a claim byte for byte, as
    /// `predicate::owner_eq` compares the owner (MySQL a binary string; SQLite and PostgreSQL
    /// the plain comparison, which the index serves, AND-ed with the same under `BINARY` or
    /// with the two as text under `"C"`).
    pub fn rendered(&self, dialect: Dialect) -> Vec<Rendered<'_>> {
        fn column<'a>(parts: &'a [Part], out: &mut Vec<Rendered<'a>>) {
            for part in parts {
                out.push(match part {
                    Part::Text(t) => Rendered::Text(t),
                    Part::Row => Rendered::Row,
                    Part::Claim(_) | Part::Exact(_) => unreachable!("a column is text"),
                });
            }
        }
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push(Rendered::Text(t)),
                Part::Row => out.push(Rendered::Row),
                Part::Claim(claim) => out.push(Rendered::Claim(claim)),
                Part::Exact(exact) => {
                    let claim = Rendered::Claim(&exact.claim);
                    match dialect {
                        Dialect::Sqlite => {
                            out.push(Rendered::Text("("));
                            column(&exact.column, &mut out);
                            out.extend([Rendered::Text(" = "), claim.clone()]);
                            out.push(Rendered::Text(" AND "));
                            column(&exact.column, &mut out);
                            out.extend([Rendered::Text(" = "), claim]);
                            out.push(Rendered::Text(" COLLATE BINARY)"));
                        }
                        Dialect::MySql => {
                            column(&exact.column, &mut out);
                            out.extend([Rendered::Text(" = CAST("), claim]);
                            out.push(Rendered::Text(" AS BINARY)"));
                        }
                        Dialect::Postgres => {
                            out.push(Rendered::Text("("));
                            column(&exact.column, &mut out);
                            out.extend([Rendered::Text(" = "), claim.clone()]);
                            out.push(Rendered::Text(" AND CAST("));
                            column(&exact.column, &mut out);
                            out.push(Rendered::Text(" AS TEXT) COLLATE \"C\" = CAST("));
                            out.extend([claim, Rendered::Text(" AS TEXT))")]);
                        }
                    }
                }
            }
        }
        out
    }
}

/// The query that tells whether a token still passes `[token] valid`, run after a statement
/// carrying the condition found no row: one row when it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidityCheck {
    pub sql: String,
    /// The claims it binds, in order.
    pub binds: Vec<Claim>,
}

impl Rule {
    /// `SELECT 1 WHERE (<condition>)` in `dialect` (MySQL reads a WHERE after `FROM DUAL`).
    pub fn validity_check(&self, dialect: Dialect) -> ValidityCheck {
        let mut sql = String::from(match dialect {
            Dialect::MySql => "SELECT 1 FROM DUAL WHERE (",
            _ => "SELECT 1 WHERE (",
        });
        let mut binds: Vec<Claim> = Vec::new();
        for part in self.rendered(dialect) {
            match part {
                Rendered::Text(t) => sql.push_str(t),
                // A token condition names no row.
                Rendered::Row => {}
                Rendered::Claim(claim) => match dialect {
                    Dialect::Postgres => {
                        let n = binds.iter().position(|c| c == claim).unwrap_or_else(|| {
                            binds.push(claim.clone());
                            binds.len() - 1
                        });
                        let _ = write!(sql, "${}", n + 1);
                    }
                    Dialect::MySql | Dialect::Sqlite => {
                        binds.push(claim.clone());
                        sql.push('?');
                    }
                },
            }
        }
        sql.push(')');
        ValidityCheck { sql, binds }
    }
}

/// Parses a rendered predicate as `dialect` reads it.
pub fn parse_expr(text: &str, dialect: Dialect) -> Result<Expr, String> {
    let mut parser = Parser::new(grammar(dialect))
        .try_with_sql(text)
        .map_err(|e| e.to_string())?;
    let expr = parser.parse_expr().map_err(|e| e.to_string())?;
    if parser.peek_token().token != sqlparser::tokenizer::Token::EOF {
        return Err("trailing text".into());
    }
    Ok(expr)
}
