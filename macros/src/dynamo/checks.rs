//! The policy's `[token] valid` and a table's `grant`, written in SQL in `guarded.toml` for
//! every backend, as checks of other items DynamoDB decides in the write's transaction.
//!
//! On DynamoDB a sub-select names one item by its key: `[NOT] EXISTS (SELECT .. FROM t [a]
//! WHERE ..)`, where each `=` between one of `t`'s attributes and a claim (`:sub`, `:jti`,
//! `:iat`) or the guarded item's attribute (`items.id`) is a key attribute, and the rest of
//! the `WHERE` a condition on that item (as a table's condition is, with claims as values).
//! Anything else (a join, an `OR` of sub-selects, a claim of the application's type) is
//! refused when the fn is compiled: a check that names no one item would decide nothing.

use proc_macro2::TokenStream;
use quote::quote;
use sqlparser::ast::{
    BinaryOperator, Expr, Ident, Query, SetExpr, TableFactor, UnaryOperator, Value, ValueWithSpan,
};

use super::condition::translate_expr;
use crate::policy::{Claim, Grants, Rule, conjuncts};

/// What a check may be on DynamoDB, in every refusal.
const SHAPE: &str = "on DynamoDB each sub-select names one item by its key: `[NOT] EXISTS \
                     (SELECT 1 FROM t x WHERE x.k = :sub [AND x.k2 = items.id] [AND <a \
                     condition on x's attributes>])`, each `=` with a claim (`:sub`, `:jti`, \
                     `:iat`) or the guarded item's attribute being the key; `[token] valid` \
                     joins such checks with AND, a grant is one";

/// `[token] valid` as the runtime's checks.
pub fn valid(rule: &Rule) -> Result<Vec<TokenStream>, String> {
    let expr = parse(rule)?;
    let mut checks = Vec::new();
    for conjunct in conjuncts(expr) {
        checks.push(check(conjunct, None)?);
    }
    Ok(checks)
}

/// A table's grants as the runtime's `Grants`.
pub fn grants(grants: &Grants, table: &str) -> Result<TokenStream, String> {
    let one = |rule: Option<&Rule>, what: &str| -> Result<TokenStream, String> {
        match rule {
            None => Ok(quote!(::core::option::Option::None)),
            Some(rule) => {
                let expr = parse(rule)?;
                let check =
                    check(expr, Some(table)).map_err(|why| format!("the {what} grant: {why}"))?;
                Ok(quote!(::core::option::Option::Some(#check)))
            }
        }
    };
    let read = one(grants.read.as_ref(), "read")?;
    let update = one(grants.update.as_ref(), "update")?;
    let delete = one(grants.delete.as_ref(), "delete")?;
    let attributes = match &grants.update_columns {
        None => quote!(::core::option::Option::None),
        Some(columns) => quote!(::core::option::Option::Some(&[#(#columns),*])),
    };
    Ok(quote! {
        ::guarded::__private::dynamo::Grants {
            read: #read,
            update: #update,
            update_attributes: #attributes,
            delete: #delete,
        }
    })
}

/// The rule's expression, when it binds only claims a check can send.
fn parse(rule: &Rule) -> Result<&Expr, String> {
    // DynamoDB compares strings byte for byte: a column compared with a claim stays `=`.
    match rule.claims().find(|claim| matches!(claim, Claim::Field(_))) {
        Some(claim) => Err(format!(
            "`:{}` is a claim of the application's type, which a DynamoDB check cannot send; \
             use `:sub`, `:jti` or `:iat`",
            claim.name()
        )),
        None => Ok(&rule.expr),
    }
}

/// One `[NOT] EXISTS (..)` as a `Check`; `table` is the guarded table a grant belongs to.
fn check(expr: &Expr, table: Option<&str>) -> Result<TokenStream, String> {
    let (query, negated) = match expr {
        Expr::Nested(inner) => return check(inner, table),
        Expr::Exists { subquery, negated } => (subquery, *negated),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr: inner,
        } => match &**inner {
            Expr::Exists { subquery, negated } => (subquery, !*negated),
            _ => return Err(format!("`{expr}` is not a sub-select; {SHAPE}")),
        },
        _ => return Err(format!("`{expr}` is not a sub-select; {SHAPE}")),
    };
    let (other, alias, selection) = one_item(query)?;
    let source = quote!(::guarded::__private::dynamo::Source);
    let mut key = Vec::new();
    let mut keyed = Vec::new();
    let mut rest = Vec::new();
    for conjunct in conjuncts(selection) {
        match key_part(conjunct, &alias, table) {
            Some(Ok((attribute, value))) => {
                if keyed.contains(&attribute) {
                    return Err(format!(
                        "`{attribute}` of `{other}` is compared twice; {SHAPE}"
                    ));
                }
                let value = match value {
                    KeyValue::Claim(claim) => quote!(#source::Claim(#claim)),
                    KeyValue::Item(name) => quote!(#source::Item(#name)),
                };
                key.push(quote!((#attribute, #value)));
                keyed.push(attribute);
            }
            Some(Err(why)) => return Err(why),
            None => rest.push(conjunct),
        }
    }
    if key.is_empty() || key.len() > 2 {
        return Err(format!(
            "the sub-select on `{other}` compares {} of its attributes with a claim or the \
             item, and a DynamoDB key has one or two; {SHAPE}",
            key.len()
        ));
    }
    let condition = match rest.as_slice() {
        [] => quote!(::core::option::Option::None),
        rest => {
            let rules = rest
                .iter()
                .map(|e| translate_expr(e, &alias))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|why| format!("the sub-select on `{other}`: {why}"))?;
            let rule = match rules.as_slice() {
                [one] => one.clone(),
                all => quote!(::guarded::__private::dynamo::Rule::And(&[#(#all),*])),
            };
            quote!(::core::option::Option::Some(#rule))
        }
    };
    let exists = !negated;
    Ok(quote! {
        ::guarded::__private::dynamo::Check {
            table: #other,
            key: &[#(#key),*],
            exists: #exists,
            condition: #condition,
        }
    })
}

/// The one table a sub-select reads, the name its columns go by, and its `WHERE`: anything
/// besides those (a join, a group, a limit) is refused.
fn one_item(query: &Query) -> Result<(String, String, &Expr), String> {
    let refused = || format!("`{query}` reads more than one item by its key; {SHAPE}");
    let SetExpr::Select(select) = &*query.body else {
        return Err(refused());
    };
    let ([from], Some(selection)) = (select.from.as_slice(), &select.selection) else {
        return Err(refused());
    };
    let TableFactor::Table { name, alias, .. } = &from.relation else {
        return Err(refused());
    };
    // Nothing but `SELECT .. FROM t [a] WHERE ..`: the rendering of those parts alone must be
    // the whole sub-select.
    let projection: Vec<String> = select.projection.iter().map(ToString::to_string).collect();
    let plain = format!(
        "SELECT {} FROM {} WHERE {selection}",
        projection.join(", "),
        from.relation
    );
    if !from.joins.is_empty() || query.to_string() != plain {
        return Err(refused());
    }
    let [table] = name.0.as_slice() else {
        return Err(refused());
    };
    let table = table
        .as_ident()
        .map(|i| i.value.clone())
        .ok_or_else(refused)?;
    let alias = alias
        .as_ref()
        .map_or_else(|| table.clone(), |a| a.name.value.clone());
    Ok((table, alias, selection))
}

enum KeyValue {
    Claim(TokenStream),
    Item(String),
}

/// `x.k = :claim` or `x.k = items.a` (either way round): a key attribute and its value.
fn key_part(
    expr: &Expr,
    alias: &str,
    table: Option<&str>,
) -> Option<Result<(String, KeyValue), String>> {
    let Expr::BinaryOp {
        left,
        op: BinaryOperator::Eq,
        right,
    } = expr
    else {
        return None;
    };
    let (attribute, value) = match (own(left, alias), own(right, alias)) {
        (Some(a), None) => (a, &**right),
        (None, Some(a)) => (a, &**left),
        _ => return None,
    };
    let claim = quote!(::guarded::__private::dynamo::Claim);
    let value = match value {
        Expr::Value(ValueWithSpan {
            value: Value::Placeholder(p),
            ..
        }) => match p.as_str() {
            ":sub" => KeyValue::Claim(quote!(#claim::Sub)),
            ":jti" => KeyValue::Claim(quote!(#claim::Jti)),
            ":iat" => KeyValue::Claim(quote!(#claim::Iat)),
            _ => return None,
        },
        Expr::CompoundIdentifier(parts) => match (parts.as_slice(), table) {
            ([t, column], Some(table)) if t.value.eq_ignore_ascii_case(table) => {
                KeyValue::Item(column.value.clone())
            }
            _ => {
                return Some(Err(format!(
                    "`{expr}` compares with `{value}`, which is neither a claim nor an attribute \
                     of the guarded item; {SHAPE}"
                )));
            }
        },
        _ => return None,
    };
    Some(Ok((attribute, value)))
}

/// The attribute of the sub-select's table `expr` names: `x.k`, or `k` unqualified.
fn own(expr: &Expr, alias: &str) -> Option<String> {
    match expr {
        Expr::Nested(inner) => own(inner, alias),
        Expr::Identifier(Ident { value, .. }) => Some(value.clone()),
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [t, column] if t.value.eq_ignore_ascii_case(alias) => Some(column.value.clone()),
            _ => None,
        },
        _ => None,
    }
}
