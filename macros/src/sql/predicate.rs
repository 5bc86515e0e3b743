//! Building the ownership predicate and AND-ing it into a condition.

use sqlparser::ast::{BinaryOperator, Expr, Ident, Value};

use super::placeholders::SUBJECT;

/// The subject's placeholder: a marker that `placeholders::finish` turns into the dialect's
/// own placeholder once the statement is rendered.
pub fn subject() -> Expr {
    Expr::Value(Value::Placeholder(SUBJECT.to_owned()).into())
}

/// `<qualifier>.<column> = <subject>`.
pub fn owner_eq(qualifier: Vec<Ident>, column: &str) -> Expr {
    let mut path = qualifier;
    path.push(Ident::new(column));
    Expr::BinaryOp {
        left: Box::new(Expr::CompoundIdentifier(path)),
        op: BinaryOperator::Eq,
        right: Box::new(subject()),
    }
}

fn and(left: Expr, right: Expr) -> Expr {
    Expr::BinaryOp {
        left: Box::new(left),
        op: BinaryOperator::And,
        right: Box::new(right),
    }
}

/// `(original) AND p1 AND p2 ...`: the original condition parenthesised once, so an `OR`
/// in it cannot escape the predicates.
pub fn conjoin(existing: Option<Expr>, predicates: Vec<Expr>) -> Option<Expr> {
    let mut predicates = predicates.into_iter();
    let first = predicates.next();
    let start = match (existing, first) {
        (existing, None) => return existing,
        (None, Some(first)) => first,
        (Some(existing), Some(first)) => and(Expr::Nested(Box::new(existing)), first),
    };
    Some(predicates.fold(start, and))
}

/// Adds predicates to a WHERE (or ON) condition, creating it when there is none.
pub fn add_where(selection: &mut Option<Expr>, predicates: Vec<Expr>) {
    *selection = conjoin(selection.take(), predicates);
}
