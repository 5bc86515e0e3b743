//! A policy's condition as written in `guarded.toml` (`update = "EXISTS (SELECT 1 FROM shares
//! s WHERE s.item_id = items.id AND s.user_id = :sub AND s.can_write)"`), put into every
//! statement that touches its table.
//!
//! A condition is SQL with two kinds of holes: `:claim` (a verified claim, bound as a value,
//! never text) and the guarded table's own name where it qualifies a column (`items.id`),
//! which becomes the name or alias the statement gives that reference. It is checked once
//! when the file is read; each statement then renders it in its dialect and parses it again,
//! so the predicate the verifier expects is the one the database reads.

use std::fmt::Write as _;
use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Query, TableFactor, Visit, Visitor};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Span};

use super::Dialect;
use super::parse::grammar;

/// A verified claim a condition binds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Claim {
    /// `:sub`, the subject (the owner value).
    Sub,
    /// `:jti`, the token's id.
    Jti,
    /// `:iat`, when the token was issued, in seconds since the epoch.
    Iat,
    /// `:name`, a field of the application's claims type.
    Field(String),
}

impl Claim {
    fn named(name: &str) -> Self {
        match name {
            "sub" => Self::Sub,
            "jti" => Self::Jti,
            "iat" => Self::Iat,
            other => Self::Field(other.to_owned()),
        }
    }
}

/// One piece of a condition's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Claim(Claim),
    /// The guarded table's name qualifying one of its columns.
    Row,
}

/// A checked condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub parts: Vec<Part>,
    /// The tables and aliases its sub-selects name, lowercased: a statement whose reference
    /// to the guarded table goes by one of these names would change what the sub-select reads.
    pub names: Vec<String>,
    /// The tables its sub-selects read, lowercased.
    pub reads: Vec<String>,
}

/// A mistake in a condition, at a byte range of its text.
#[derive(Debug)]
pub struct RuleError {
    pub at: std::ops::Range<usize>,
    pub message: String,
}

impl Rule {
    /// Checks a condition of `table`'s policy (`None` for one on the token alone, which names
    /// no table row).
    pub fn parse(text: &str, table: Option<&str>) -> Result<Self, RuleError> {
        let (claims, masked) = claims(text)?;
        let whole = 0..text.len();
        let mut parser = Parser::new(&GenericDialect {})
            .try_with_sql(&masked)
            .map_err(|e| RuleError {
                at: whole.clone(),
                message: format!("this condition does not parse: {e}"),
            })?;
        let expr = parser.parse_expr().map_err(|e| RuleError {
            at: whole.clone(),
            message: format!("this condition does not parse: {e}"),
        })?;
        if parser.peek_token().token != sqlparser::tokenizer::Token::EOF {
            return Err(RuleError {
                at: whole,
                message: "a condition is one SQL expression; join several with AND".into(),
            });
        }
        let lines = Lines::new(text);
        let mut walk = Walk {
            table,
            depth: 0,
            rows: Vec::new(),
            names: Vec::new(),
            reads: Vec::new(),
            lines: &lines,
        };
        if let ControlFlow::Break(e) = expr.visit(&mut walk) {
            return Err(e);
        }
        if let Some(table) = table
            && walk.reads.iter().any(|t| t.eq_ignore_ascii_case(table))
        {
            return Err(RuleError {
                at: whole,
                message: format!(
                    "a sub-select of `{table}`'s own policy reads `{table}`; decide on its row \
                     (`{table}.column`) instead"
                ),
            });
        }
        let mut holes: Vec<(usize, usize, Part)> = claims
            .into_iter()
            .map(|(start, end, claim)| (start, end, Part::Claim(claim)))
            .chain(walk.rows.into_iter().map(|(s, e)| (s, e, Part::Row)))
            .collect();
        holes.sort_by_key(|(start, ..)| *start);
        let mut parts = Vec::new();
        let mut done = 0;
        for (start, end, part) in holes {
            if start > done {
                parts.push(Part::Text(text[done..start].to_owned()));
            }
            parts.push(part);
            done = end;
        }
        if done < text.len() {
            parts.push(Part::Text(text[done..].to_owned()));
        }
        Ok(Self {
            parts,
            names: walk.names,
            reads: walk.reads,
        })
    }

    /// The claims it binds, in order of first use.
    pub fn claims(&self) -> impl Iterator<Item = &Claim> {
        self.parts.iter().filter_map(|p| match p {
            Part::Claim(c) => Some(c),
            _ => None,
        })
    }
}

/// A claim's place in a condition's text: start, end, which.
type Hole = (usize, usize, Claim);

/// Each `:name` outside quotes, and the text with each masked as `?` and spaces (same
/// offsets) for the parser.
fn claims(text: &str) -> Result<(Vec<Hole>, String), RuleError> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut masked = text.to_owned().into_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                let close = bytes[i + 1..].iter().position(|b| *b == quote);
                let Some(close) = close else {
                    return Err(RuleError {
                        at: i..text.len(),
                        message: "this quote is never closed".into(),
                    });
                };
                i += close + 2;
            }
            b':' if bytes.get(i + 1) == Some(&b':') => i += 2,
            b':' => {
                let end = (i + 1..bytes.len())
                    .find(|j| !(bytes[*j].is_ascii_alphanumeric() || bytes[*j] == b'_'))
                    .unwrap_or(bytes.len());
                let name = &text[i + 1..end];
                if name.is_empty() || name.as_bytes()[0].is_ascii_digit() {
                    return Err(RuleError {
                        at: i..end.max(i + 1),
                        message: "a claim is written `:name` (`:sub`, `:jti`, `:iat`, or a \
                                  field of the claims type)"
                            .into(),
                    });
                }
                masked[i] = b'?';
                masked[i + 1..end].fill(b' ');
                found.push((i, end, Claim::named(name)));
                i = end;
            }
            _ => i += 1,
        }
    }
    let masked = String::from_utf8(masked).expect("only ASCII bytes were replaced");
    Ok((found, masked))
}

/// Byte offsets of the parser's line/column locations.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self(starts)
    }

    fn offset(&self, text_at: Location) -> Option<usize> {
        let line = usize::try_from(text_at.line).ok()?.checked_sub(1)?;
        let column = usize::try_from(text_at.column).ok()?.checked_sub(1)?;
        Some(self.0.get(line)? + column)
    }

    fn range(&self, span: Span) -> Option<std::ops::Range<usize>> {
        Some(self.offset(span.start)?..self.offset(span.end)?)
    }
}

struct Walk<'a> {
    table: Option<&'a str>,
    /// How many sub-selects deep the visit is.
    depth: usize,
    rows: Vec<(usize, usize)>,
    names: Vec<String>,
    reads: Vec<String>,
    lines: &'a Lines,
}

impl Walk<'_> {
    fn error(&self, span: Span, message: String) -> ControlFlow<RuleError> {
        let at = self.lines.range(span).unwrap_or(0..0);
        ControlFlow::Break(RuleError { at, message })
    }

    fn own_row(&self, qualifier: &str) -> bool {
        self.table
            .is_some_and(|t| t.eq_ignore_ascii_case(qualifier))
    }
}

impl Visitor for Walk<'_> {
    type Break = RuleError;

    fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<RuleError> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &Query) -> ControlFlow<RuleError> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<RuleError> {
        if let TableFactor::Table { name, alias, .. } = factor {
            let table = super::names::last_name(name).to_ascii_lowercase();
            self.names.push(table.clone());
            self.reads.push(table);
            if let Some(alias) = alias {
                self.names.push(alias.name.value.to_ascii_lowercase());
            }
        } else if let TableFactor::Derived {
            alias: Some(alias), ..
        } = factor
        {
            self.names.push(alias.name.value.to_ascii_lowercase());
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<RuleError> {
        match expr {
            Expr::Identifier(ident) if self.depth == 0 => {
                let table = self.table.unwrap_or("the table");
                return self.error(
                    ident.span,
                    format!(
                        "name the row's column with its table, `{table}.{}`: a statement may \
                         join other tables with a column of that name",
                        ident.value
                    ),
                );
            }
            Expr::CompoundIdentifier(parts)
                if parts.len() == 2 && self.own_row(&parts[0].value) =>
            {
                let Some(range) = self.lines.range(parts[0].span) else {
                    return self.error(parts[0].span, "cannot locate this name".into());
                };
                self.rows.push((range.start, range.end));
            }
            Expr::CompoundIdentifier(parts) if self.depth == 0 => {
                let message = match self.table {
                    Some(table) => format!(
                        "`{}` is not a column of `{table}`: the condition decides on \
                         `{table}.column`, and reads other tables in sub-selects",
                        parts
                            .iter()
                            .map(|p| p.value.as_str())
                            .collect::<Vec<_>>()
                            .join(".")
                    ),
                    None => "a token condition reads tables in sub-selects only".into(),
                };
                return self.error(parts[0].span, message);
            }
            _ => {}
        }
        ControlFlow::Continue(())
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
        for part in &self.parts {
            match part {
                Part::Text(t) => sql.push_str(t),
                // A token condition names no row.
                Part::Row => {}
                Part::Claim(claim) => match dialect {
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
