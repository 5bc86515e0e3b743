//! A policy's rule as written in `guarded.toml` (`update = "EXISTS (SELECT 1 FROM shares
//! s WHERE s.item_id = items.id AND s.user_id = :sub AND s.can_write)"`), read once when the
//! file is read; each backend renders it (`sql::render`, `dynamo::condition`).
//!
//! A rule is SQL with two kinds of holes: `:claim` (a verified claim, bound as a value, never
//! text) and the guarded table's own name where it qualifies a column (`items.id`), which
//! becomes the name or alias the statement gives that reference. It is kept twice: as its
//! text cut at those holes (`parts`, what a SQL statement splices) and as the expression
//! parsed (`expr`, what a backend without SQL translates).
//!
//! A claim is an identity: it is compared with a column by `=` alone, and that comparison is
//! rendered byte for byte by each backend, as the owner's is (`sql::predicate::owner_eq`),
//! since a column's collation may fold case and trailing spaces (`DAVE` and `dave ` would be
//! `dave`). Every column is qualified, so no name resolves to a table the author did not mean.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, ObjectName, ObjectNamePart, Query, Select, TableFactor, TableWithJoins,
    Value, Visit, Visitor, visit_expressions_mut,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Span};

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
    /// Its name in a condition, without the colon.
    pub fn name(&self) -> &str {
        match self {
            Self::Sub => "sub",
            Self::Jti => "jti",
            Self::Iat => "iat",
            Self::Field(name) => name,
        }
    }

    pub fn named(name: &str) -> Self {
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
    /// `column = :claim` as written, rendered byte-exact in each dialect.
    Exact(Exact),
}

/// A column compared with a claim by `=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exact {
    /// The column's text, its qualifier a `Part::Row` when it is the guarded row.
    pub column: Vec<Part>,
    pub claim: Claim,
    /// Written `:claim = column`.
    pub claim_first: bool,
}

/// A checked rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub parts: Vec<Part>,
    /// The rule parsed, each claim a placeholder `:name` and the row its table's name as
    /// written.
    pub expr: Expr,
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
        let mut expr = parser.parse_expr().map_err(|e| RuleError {
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
            scopes: Vec::new(),
            rows: Vec::new(),
            names: Vec::new(),
            reads: Vec::new(),
            claims: claims
                .iter()
                .map(|(start, end, _)| (*start, *end))
                .collect(),
            iat: claims.iter().map(|(.., c)| *c == Claim::Iat).collect(),
            compared: vec![false; claims.len()],
            exacts: Vec::new(),
            lines: &lines,
        };
        if let ControlFlow::Break(e) = expr.visit(&mut walk) {
            return Err(e);
        }
        if let Some(k) = walk.compared.iter().position(|done| !done) {
            let (start, end, _) = &claims[k];
            return Err(not_compared(text, *start..*end));
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
        // Each masked claim named again, so the expression reads as the rule was written.
        let _ = visit_expressions_mut(&mut expr, |e| {
            if let Expr::Value(value) = e
                && let Value::Placeholder(_) = value.value
                && let Some(at) = lines.offset(value.span.start)
                && let Some((.., claim)) = claims.iter().find(|(start, ..)| *start == at)
            {
                value.value = Value::Placeholder(format!(":{}", claim.name()));
            }
            ControlFlow::<()>::Continue(())
        });
        let parts = parts(text, claims, &walk);
        Ok(Self {
            parts,
            expr,
            names: walk.names,
            reads: walk.reads,
        })
    }

    /// The claims it binds, in order of first use.
    pub fn claims(&self) -> impl Iterator<Item = &Claim> {
        self.parts.iter().filter_map(|p| match p {
            Part::Claim(c) | Part::Exact(Exact { claim: c, .. }) => Some(c),
            _ => None,
        })
    }
}

/// A claim used other than compared with a column by `=`.
fn not_compared(text: &str, at: std::ops::Range<usize>) -> RuleError {
    let claim = &text[at.clone()];
    RuleError {
        message: format!(
            "compare `{claim}` with a column by `=` (`s.user_id = {claim}`), which guarded \
             makes byte-exact; a claim used any other way (LIKE, IN, <>, a function) would be \
             compared under a collation that can fold case and spaces (`:iat` may also be \
             ordered: `c.cutoff > :iat`)"
        ),
        at,
    }
}

/// The condition's text cut at its holes: claims, the row's name, and the comparisons of a
/// column with a claim (which hold their own).
fn parts(text: &str, claims: Vec<Hole>, walk: &Walk<'_>) -> Vec<Part> {
    let inside = |at: usize| {
        walk.exacts
            .iter()
            .any(|e| (e.whole.0..e.whole.1).contains(&at))
    };
    let exacts: Vec<(usize, usize, Part)> = walk
        .exacts
        .iter()
        .map(|e| {
            let (start, end) = e.column;
            let column = match walk.rows.iter().find(|(s, _)| *s == start) {
                Some(&(_, row_end)) => {
                    vec![Part::Row, Part::Text(text[row_end..end].to_owned())]
                }
                None => vec![Part::Text(text[start..end].to_owned())],
            };
            let claim = claims[e.claim].2.clone();
            let exact = Exact {
                column,
                claim,
                claim_first: e.claim_first,
            };
            (e.whole.0, e.whole.1, Part::Exact(exact))
        })
        .collect();
    let mut holes: Vec<(usize, usize, Part)> = claims
        .into_iter()
        .map(|(start, end, claim)| (start, end, Part::Claim(claim)))
        .chain(walk.rows.iter().map(|&(s, e)| (s, e, Part::Row)))
        .filter(|(start, ..)| !inside(*start))
        .chain(exacts)
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
    parts
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
    /// The names each enclosing SELECT gives its tables (an alias, or the table's name),
    /// lowercased, innermost last: what a column's qualifier may be, besides the row's.
    scopes: Vec<Vec<String>>,
    rows: Vec<(usize, usize)>,
    names: Vec<String>,
    reads: Vec<String>,
    /// Where each claim is, whether it is `:iat`, and whether it was found compared with a
    /// column.
    claims: Vec<(usize, usize)>,
    iat: Vec<bool>,
    compared: Vec<bool>,
    exacts: Vec<Found>,
    lines: &'a Lines,
}

/// A column compared with a claim by `=`, found in the text.
struct Found {
    whole: (usize, usize),
    column: (usize, usize),
    /// Which of the condition's claims.
    claim: usize,
    claim_first: bool,
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

    /// The index of the claim masked at `expr`, if it is one.
    fn claim_at(&self, expr: &Expr) -> Option<usize> {
        let Expr::Value(value) = expr else {
            return None;
        };
        if !matches!(value.value, sqlparser::ast::Value::Placeholder(_)) {
            return None;
        }
        let at = self.lines.offset(value.span.start)?;
        self.claims.iter().position(|(start, _)| *start == at)
    }

    /// The byte range of a qualified column.
    fn column_at(&self, expr: &Expr) -> Option<(usize, usize)> {
        let Expr::CompoundIdentifier(parts) = expr else {
            return None;
        };
        let start = self.lines.offset(parts.first()?.span.start)?;
        let end = self.lines.offset(parts.last()?.span.end)?;
        Some((start, end))
    }

    /// `column = :claim` or `:claim = column` is kept to be rendered exact; `:iat` (a number)
    /// may also be ordered against a column.
    fn comparison(&mut self, left: &Expr, op: &BinaryOperator, right: &Expr) {
        let (column, claim, claim_first) = match (self.claim_at(left), self.claim_at(right)) {
            (None, Some(claim)) => (self.column_at(left), claim, false),
            (Some(claim), None) => (self.column_at(right), claim, true),
            _ => return,
        };
        let Some(column) = column else { return };
        match op {
            BinaryOperator::Eq => {
                let (claim_start, claim_end) = self.claims[claim];
                let whole = (column.0.min(claim_start), column.1.max(claim_end));
                self.exacts.push(Found {
                    whole,
                    column,
                    claim,
                    claim_first,
                });
                self.compared[claim] = true;
            }
            BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq
                if self.is_iat(claim) =>
            {
                self.compared[claim] = true;
            }
            _ => {}
        }
    }

    fn is_iat(&self, claim: usize) -> bool {
        self.iat.get(claim).copied().unwrap_or(false)
    }

    /// The names a column may be qualified with here, for an error.
    fn qualifiers(&self) -> String {
        let mut all: Vec<String> = self.table.map(str::to_owned).into_iter().collect();
        all.extend(self.scopes.iter().flatten().cloned());
        all.iter()
            .map(|q| format!("`{q}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The names the FROM list of a SELECT gives its tables: a table's alias, or its name when
/// it has none (a table with an alias is not reachable by its name).
fn scope(select: &Select) -> Vec<String> {
    fn factor(factor: &TableFactor, out: &mut Vec<String>) {
        match factor {
            TableFactor::Table { name, alias, .. } => out.push(match alias {
                Some(alias) => alias.name.value.to_ascii_lowercase(),
                None => last_name(name).to_ascii_lowercase(),
            }),
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => joined(table_with_joins, out),
            other => {
                if let Some(alias) = factor_alias(other) {
                    out.push(alias);
                }
            }
        }
    }
    fn joined(table: &TableWithJoins, out: &mut Vec<String>) {
        factor(&table.relation, out);
        for join in &table.joins {
            factor(&join.relation, out);
        }
    }
    let mut out = Vec::new();
    for table in &select.from {
        joined(table, &mut out);
    }
    out
}

/// The alias of a FROM item other than a table.
fn factor_alias(factor: &TableFactor) -> Option<String> {
    let alias = match factor {
        TableFactor::Derived { alias, .. }
        | TableFactor::TableFunction { alias, .. }
        | TableFactor::Function { alias, .. }
        | TableFactor::UNNEST { alias, .. } => alias.as_ref(),
        _ => None,
    }?;
    Some(alias.name.value.to_ascii_lowercase())
}

impl Visitor for Walk<'_> {
    type Break = RuleError;

    fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<RuleError> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<RuleError> {
        let names = scope(select);
        if let Some(table) = self.table
            && names.iter().any(|n| n.eq_ignore_ascii_case(table))
        {
            // `items.id` would then be that table's column, not the row's.
            return self.error(
                select.select_token.0.span,
                format!(
                    "a sub-select names one of its tables `{table}`, the name that stands \
                     for the row; give it another alias"
                ),
            );
        }
        self.scopes.push(names);
        ControlFlow::Continue(())
    }

    fn post_visit_select(&mut self, _: &Select) -> ControlFlow<RuleError> {
        self.scopes.pop();
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &Query) -> ControlFlow<RuleError> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<RuleError> {
        if let TableFactor::Table { name, alias, .. } = factor {
            let table = last_name(name).to_ascii_lowercase();
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
            Expr::BinaryOp { left, op, right } => self.comparison(left, op, right),
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
            Expr::Identifier(ident) => {
                return self.error(
                    ident.span,
                    format!(
                        "qualify `{}` with its table: a sub-select's alias (`s.{}`) or the \
                         row's table; unqualified, it is the column of whichever table in \
                         scope has one, which may not be the table meant (qualifiers here: {})",
                        ident.value,
                        ident.value,
                        self.qualifiers()
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
            Expr::CompoundIdentifier(parts) => {
                let qualifier = &parts[parts.len().saturating_sub(2)];
                let known = self
                    .scopes
                    .iter()
                    .flatten()
                    .any(|name| name.eq_ignore_ascii_case(&qualifier.value));
                if !known {
                    return self.error(
                        qualifier.span,
                        format!(
                            "`{}` names no table here: qualify a column with one of {}",
                            qualifier.value,
                            self.qualifiers()
                        ),
                    );
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// The unqualified table name, without quotes.
pub fn last_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .rev()
        .find_map(|part| match part {
            ObjectNamePart::Identifier(ident) => Some(ident.value.clone()),
            ObjectNamePart::Function(_) => None,
        })
        .unwrap_or_default()
}
