//! A table's scope (`scope = "notes.org_id = :org AND EXISTS (...)"` in `guarded.toml`): the
//! restrictive half of a policy, AND-ed into every statement on the table whoever the owner
//! and the grants let in, as PostgreSQL's `AS RESTRICTIVE` policies are AND-ed with the
//! permissive ones.
//!
//! From the one condition the guard also reads what a write must keep, as `WITH CHECK` does:
//! a top-level conjunct `notes.col = :claim` sets that column from the claim on every INSERT
//! (the user may not name it), no UPDATE sets a column the scope reads (the row cannot leave
//! its scope), and what the scope says beyond those columns is checked on the row an INSERT
//! makes, with each such column read as its claim.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, Value, ValueWithSpan, Visit, VisitMut, Visitor, VisitorMut,
};

use super::rule::{Claim, Exact, Part, Rule, RuleError};

/// A table's scope, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// AND-ed into every reference to the table.
    pub rule: Rule,
    /// Reads carry it too: false only for `read = "anyone"`.
    pub on_reads: bool,
    /// The columns a top-level conjunct sets from a claim, lowercased: an INSERT writes the
    /// claim there.
    pub set: Vec<(String, Claim)>,
    /// Every column of the row the scope reads, lowercased: no UPDATE sets one.
    pub reads: Vec<String>,
    /// What an INSERT's row must satisfy beyond the set columns (each read as its claim):
    /// `Ok(None)` when nothing; `Err` says why an INSERT cannot be checked.
    pub insert: Result<Option<Rule>, String>,
}

impl Scope {
    /// Checks `text` as the scope of `table`.
    pub fn parse(text: &str, table: &str) -> Result<Self, RuleError> {
        let rule = Rule::parse(text, Some(table))?;
        if !rule.parts.iter().any(|p| matches!(p, Part::Row)) && !has_row_exact(&rule) {
            return Err(RuleError {
                at: 0..text.len(),
                message: format!(
                    "a scope decides on the row: name one of its columns, \
                     `{table}.org_id = :org`; a condition on the token alone belongs in \
                     `[token] valid`"
                ),
            });
        }
        let expr = grouped(rule.expr.clone());
        let set = set_columns(&expr, table);
        let reads = row_columns(&expr, table);
        let insert = insert_check(expr, table, &set);
        Ok(Self {
            rule,
            on_reads: true,
            set,
            reads,
            insert,
        })
    }

    /// Whether the scope reads `column` of the row.
    pub fn reads(&self, column: &str) -> bool {
        self.reads.iter().any(|c| c.eq_ignore_ascii_case(column))
    }
}

fn has_row_exact(rule: &Rule) -> bool {
    rule.parts.iter().any(|p| match p {
        Part::Exact(Exact { column, .. }) => column.iter().any(|c| matches!(c, Part::Row)),
        _ => false,
    })
}

/// The rule's expression with each comparison of a column with a claim in parentheses, as
/// `sql::render` puts it into statements: what an INSERT's check is made of.
fn grouped(mut expr: Expr) -> Expr {
    struct Group;
    impl VisitorMut for Group {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            if let Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            } = expr
                && matches!(
                    (&**left, &**right),
                    (Expr::CompoundIdentifier(_), Expr::Value(_))
                        | (Expr::Value(_), Expr::CompoundIdentifier(_))
                )
                && (placeholder(left).is_some() || placeholder(right).is_some())
            {
                *expr = Expr::Nested(Box::new(expr.clone()));
            }
            ControlFlow::Continue(())
        }
    }
    let _ = VisitMut::visit(&mut expr, &mut Group);
    expr
}

/// The claim a placeholder `:name` of a rule's expression stands for.
fn placeholder(expr: &Expr) -> Option<Claim> {
    match expr {
        Expr::Value(ValueWithSpan {
            value: Value::Placeholder(p),
            ..
        }) => p.strip_prefix(':').map(Claim::named),
        _ => None,
    }
}

/// The conjuncts of `expr` that stand at its top level (through parentheses).
pub fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            let mut all = conjuncts(left);
            all.extend(conjuncts(right));
            all
        }
        Expr::Nested(inner) => conjuncts(inner),
        other => vec![other],
    }
}

/// `table.col` as the lowercased column, when `expr` is a column of the row.
fn row_column(expr: &Expr, table: &str) -> Option<String> {
    match expr {
        Expr::CompoundIdentifier(parts)
            if parts.len() == 2 && parts[0].value.eq_ignore_ascii_case(table) =>
        {
            Some(parts[1].value.to_ascii_lowercase())
        }
        Expr::Nested(inner) => row_column(inner, table),
        _ => None,
    }
}

/// The claim a placeholder stands for, through parentheses.
fn claim_of(expr: &Expr) -> Option<Claim> {
    match expr {
        Expr::Nested(inner) => claim_of(inner),
        other => placeholder(other),
    }
}

/// The top-level conjuncts `table.col = :claim`.
fn set_columns(expr: &Expr, table: &str) -> Vec<(String, Claim)> {
    let mut set: Vec<(String, Claim)> = Vec::new();
    for conjunct in conjuncts(expr) {
        if let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } = conjunct
        {
            let pair = match (row_column(left, table), claim_of(right)) {
                (Some(column), Some(claim)) => Some((column, claim)),
                _ => row_column(right, table).zip(claim_of(left)),
            };
            if let Some((column, claim)) = pair
                && !set.iter().any(|(c, _)| *c == column)
            {
                set.push((column, claim));
            }
        }
    }
    set
}

/// Every column of the row `expr` names.
fn row_columns(expr: &Expr, table: &str) -> Vec<String> {
    struct Columns<'a> {
        table: &'a str,
        found: Vec<String>,
    }
    impl Visitor for Columns<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if let Some(column) = row_column(expr, self.table)
                && !self.found.contains(&column)
            {
                self.found.push(column);
            }
            ControlFlow::Continue(())
        }
    }
    let mut columns = Columns {
        table,
        found: Vec::new(),
    };
    let _ = expr.visit(&mut columns);
    columns.found
}

/// The scope as an INSERT's row must satisfy it: each set conjunct true (the guard writes
/// the claim there), every other use of a set column its claim; whatever else of the row it
/// reads cannot be known before the row exists, and refuses the INSERT.
fn insert_check(
    mut expr: Expr,
    table: &str,
    set: &[(String, Claim)],
) -> Result<Option<Rule>, String> {
    struct Substitute<'a> {
        table: &'a str,
        set: &'a [(String, Claim)],
    }
    impl VisitorMut for Substitute<'_> {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            if let Some(column) = row_column(expr, self.table)
                && let Some((_, claim)) = self.set.iter().find(|(c, _)| *c == column)
            {
                *expr = Expr::Value(Value::Placeholder(format!(":{}", claim.name())).into());
            }
            ControlFlow::Continue(())
        }
    }
    // The set conjuncts first, while they still name the row.
    let kept: Vec<Expr> = conjuncts(&expr)
        .into_iter()
        .filter(|c| set_columns(c, table).is_empty())
        .cloned()
        .collect();
    expr = match kept.into_iter().reduce(|left, right| Expr::BinaryOp {
        left: Box::new(left),
        op: BinaryOperator::And,
        right: Box::new(Expr::Nested(Box::new(right))),
    }) {
        None => return Ok(None),
        Some(rest) => rest,
    };
    let _ = VisitMut::visit(&mut expr, &mut Substitute { table, set });
    if let Some(column) = row_columns(&expr, table).first() {
        return Err(format!(
            "its scope reads `{table}.{column}`, which an INSERT does not set from a claim, so \
             the new row cannot be checked before it exists; set it in the scope \
             (`{table}.{column} = :claim AND ...`), or insert elsewhere"
        ));
    }
    let text = expr.to_string();
    Rule::parse(&text, Some(table)).map(Some).map_err(|e| {
        format!(
            "its scope, read for the row an INSERT makes (`{text}`), is not a condition the \
             guard can check: {}",
            e.message
        )
    })
}
