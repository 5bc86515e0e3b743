//! Building the ownership predicate — as syntax and as the text spliced in — and AND-ing it
//! into a condition.

use sqlparser::ast::{BinaryOperator, CastKind, DataType, Expr, Ident, ObjectName, Value};

use super::Dialect;
use super::locate::Site;
use super::splice::{Edits, Piece};

/// One predicate: the expression the statement must contain, and the text that says it.
#[derive(Debug, Clone)]
pub struct Pred {
    pub expr: Expr,
    pub text: Vec<Piece>,
}

/// `<qualifier>.<column> = <subject>`, compared byte for byte; `qualifier` is the table name
/// or alias as parsed, `qualifier_text` as the user wrote it.
///
/// A string subject must match only itself. MySQL's default collations ignore case and
/// trailing spaces (`ALICE` and `alice ` would match `alice`), so the subject is compared as a
/// binary string there. SQLite compares with the column's collation (`NOCASE`, say) unless
/// the comparison names one, and an index serves only a comparison under the collation it
/// was built with, so the plain comparison (which the index serves) is AND-ed with the same
/// under `BINARY`. On PostgreSQL a nondeterministic collation on the owner column folds case
/// too, and `COLLATE` on a non-text column is an error, so the plain comparison is AND-ed
/// with the two compared as text under `"C"`, whatever the column's type. Every form keeps
/// using the owner column's index.
pub fn owner_eq(
    qualifier: Vec<Ident>,
    qualifier_text: &str,
    column: &str,
    subject: &str,
    dialect: Dialect,
) -> Pred {
    match dialect {
        Dialect::Postgres => return postgres_eq(qualifier, qualifier_text, column, subject),
        Dialect::Sqlite => return sqlite_eq(qualifier, qualifier_text, column, subject),
        Dialect::MySql => {}
    }
    let mut path = qualifier;
    path.push(Ident::new(column));
    let right = Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(subject_expr(subject)),
        data_type: DataType::Binary(None),
        format: None,
    };
    let expr = Expr::BinaryOp {
        left: Box::new(Expr::CompoundIdentifier(path)),
        op: BinaryOperator::Eq,
        right: Box::new(right),
    };
    let text = vec![
        Piece::Text(format!("{qualifier_text}.{column} = CAST(")),
        Piece::Subject,
        Piece::Text(" AS BINARY)".into()),
    ];
    Pred { expr, text }
}

/// `(q.col = ? AND q.col = ? COLLATE BINARY)`; see [`owner_eq`].
fn sqlite_eq(qualifier: Vec<Ident>, qualifier_text: &str, column: &str, subject: &str) -> Pred {
    let mut path = qualifier;
    path.push(Ident::new(column));
    let owner = Expr::CompoundIdentifier(path);
    let eq = |right: Expr| Expr::BinaryOp {
        left: Box::new(owner.clone()),
        op: BinaryOperator::Eq,
        right: Box::new(right),
    };
    let binary = Expr::Collate {
        expr: Box::new(subject_expr(subject)),
        collation: ObjectName::from(vec![Ident::new("BINARY")]),
    };
    let expr = Expr::Nested(Box::new(and(eq(subject_expr(subject)), eq(binary))));
    let owner_text = format!("{qualifier_text}.{column}");
    let text = vec![
        Piece::Text(format!("({owner_text} = ")),
        Piece::Subject,
        Piece::Text(format!(" AND {owner_text} = ")),
        Piece::Subject,
        Piece::Text(" COLLATE BINARY)".into()),
    ];
    Pred { expr, text }
}

/// `(q.col = $n AND CAST(q.col AS TEXT) COLLATE "C" = CAST($n AS TEXT))`; see [`owner_eq`].
fn postgres_eq(qualifier: Vec<Ident>, qualifier_text: &str, column: &str, subject: &str) -> Pred {
    let mut path = qualifier;
    path.push(Ident::new(column));
    let owner = Expr::CompoundIdentifier(path);
    let as_text = |expr: Expr| Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(expr),
        data_type: DataType::Text,
        format: None,
    };
    let eq = |left: Expr, right: Expr| Expr::BinaryOp {
        left: Box::new(left),
        op: BinaryOperator::Eq,
        right: Box::new(right),
    };
    let bytes = eq(
        Expr::Collate {
            expr: Box::new(as_text(owner.clone())),
            collation: ObjectName::from(vec![Ident::with_quote('"', "C")]),
        },
        as_text(subject_expr(subject)),
    );
    let expr = Expr::Nested(Box::new(and(eq(owner, subject_expr(subject)), bytes)));
    let owner_text = format!("{qualifier_text}.{column}");
    let text = vec![
        Piece::Text(format!("({owner_text} = ")),
        Piece::Subject,
        Piece::Text(format!(
            " AND CAST({owner_text} AS TEXT) COLLATE \"C\" = CAST("
        )),
        Piece::Subject,
        Piece::Text(" AS TEXT))".into()),
    ];
    Pred { expr, text }
}

/// The subject's placeholder as the parser reads it.
pub fn subject_expr(subject: &str) -> Expr {
    Expr::Value(Value::Placeholder(subject.to_owned()).into())
}

fn and(left: Expr, right: Expr) -> Expr {
    Expr::BinaryOp {
        left: Box::new(left),
        op: BinaryOperator::And,
        right: Box::new(right),
    }
}

/// `p1 AND p2 ... AND (original)`: the predicates first, so a server that tests a condition's
/// conjuncts in order (SQLite and MySQL once an index chose the rows; PostgreSQL among
/// conjuncts of equal cost) rejects another owner's row before it evaluates the user's
/// conditions on it, as row-level security runs its quals first; the original condition
/// parenthesised once, so an `OR` in it cannot escape the predicates.
fn conjoin(existing: Option<Expr>, predicates: impl IntoIterator<Item = Expr>) -> Option<Expr> {
    let guarded = predicates.into_iter().reduce(and);
    match (guarded, existing) {
        (None, existing) => existing,
        (Some(guarded), None) => Some(guarded),
        (Some(guarded), Some(existing)) => Some(and(guarded, Expr::Nested(Box::new(existing)))),
    }
}

/// Adds predicates to a WHERE (or ON) condition, creating it when there is none: in the
/// syntax tree, and as insertions at `site` in the text.
pub fn add_where(selection: &mut Option<Expr>, site: Site, preds: Vec<Pred>, edits: &mut Edits) {
    add_condition(selection, site, preds, edits, " WHERE ");
}

/// [`add_where`] for the condition `keyword` introduces when there is none (`" HAVING "`).
pub fn add_condition(
    selection: &mut Option<Expr>,
    site: Site,
    preds: Vec<Pred>,
    edits: &mut Edits,
    keyword: &str,
) {
    if preds.is_empty() {
        return;
    }
    let mut text = Vec::new();
    if let Site::Missing { .. } = site {
        text.push(Piece::Text(keyword.into()));
    }
    for (i, pred) in preds.iter().enumerate() {
        if i > 0 {
            text.push(Piece::Text(" AND ".into()));
        }
        text.extend(pred.text.iter().cloned());
    }
    match site {
        Site::Existing { start, end } => {
            text.push(Piece::Text(" AND (".into()));
            edits.insert(start, text);
            edits.text(end, ")");
        }
        Site::Missing { at } => edits.insert(at, text),
    }
    *selection = conjoin(selection.take(), preds.into_iter().map(|p| p.expr));
}

/// Adds predicates to an ON condition that exists.
pub fn add_on(on: &mut Expr, site: Site, preds: Vec<Pred>, edits: &mut Edits) {
    let mut slot = Some(on.clone());
    add_where(&mut slot, site, preds, edits);
    if let Some(joined) = slot {
        *on = joined;
    }
}
