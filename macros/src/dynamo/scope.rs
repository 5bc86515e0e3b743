//! A table's `scope` on DynamoDB: the attributes an item must hold, each equal to one of the
//! caller's claims (`items.org_id = :org`), as the runtime's `Table::scope`.
//!
//! DynamoDB decides a condition on the one item a request names, with no sub-select, so the
//! subset it can express is the conjunction of `table.attribute = :claim`: every request on
//! the table carries each comparison (its condition, its filter, or the query's key
//! condition), a put writes each attribute from its claim, and no update writes one. A scope
//! with anything else (an `EXISTS`, an `OR`, a literal) is refused when the fn is compiled,
//! never weakened to the part DynamoDB could decide.

use proc_macro2::TokenStream;
use quote::quote;
use sqlparser::ast::{BinaryOperator, Expr, Value, ValueWithSpan};

use crate::policy::{Claim, FILE, Owner, conjuncts};

/// What a scope may be on DynamoDB, in every refusal.
const SHAPE: &str = "on DynamoDB a scope is one or more `items.attribute = :claim` joined \
                     with AND (`items.org_id = :org`): each attribute is compared with its \
                     claim in every request and set from it by every put; keep a scope with \
                     sub-selects, OR or literals on a SQL backend";

/// One attribute of a scope and the claim it equals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// As written in the policy: DynamoDB's names are case-sensitive.
    pub attribute: String,
    pub claim: Claim,
}

/// The attributes `owner`'s scope sets, or why DynamoDB cannot decide it.
pub fn pairs(owner: &Owner) -> Result<Vec<Pair>, String> {
    let Some(scope) = &owner.scope else {
        return Ok(Vec::new());
    };
    let table = &owner.table;
    let refused = |why: String| format!("the `scope` of `{table}` in {FILE}: {why}; {SHAPE}");
    let mut pairs: Vec<Pair> = Vec::new();
    for conjunct in conjuncts(&scope.rule.expr) {
        let pair = pair(conjunct, table).ok_or_else(|| {
            refused(format!(
                "`{conjunct}` is not an attribute of the item equal to a claim"
            ))
        })?;
        if pair.attribute == owner.column {
            return Err(refused(format!(
                "`{table}.{}` is the owner attribute, which the guard already compares with \
                 the subject",
                pair.attribute
            )));
        }
        if pairs.iter().any(|p| p.attribute == pair.attribute) {
            return Err(refused(format!(
                "`{table}.{}` is compared twice",
                pair.attribute
            )));
        }
        pairs.push(pair);
    }
    // The scope's own reading must agree: every column it reads set from a claim, and
    // nothing left for an insert to check.
    let set: Vec<&str> = scope.set.iter().map(|(c, _)| c.as_str()).collect();
    let same = pairs.len() == set.len()
        && pairs
            .iter()
            .all(|p| set.contains(&p.attribute.to_ascii_lowercase().as_str()))
        && scope.reads.iter().all(|r| set.contains(&r.as_str()))
        && scope.insert == Ok(None);
    if !same {
        return Err(refused(
            "it reads more of the item than the attributes it sets from claims".to_owned(),
        ));
    }
    Ok(pairs)
}

/// `row.attribute = :claim`, either way round.
fn pair(expr: &Expr, table: &str) -> Option<Pair> {
    let Expr::BinaryOp {
        left,
        op: BinaryOperator::Eq,
        right,
    } = ungroup(expr)
    else {
        return None;
    };
    let (attribute, claim) = match (attribute(left, table), claim(right)) {
        (Some(a), Some(c)) => (a, c),
        _ => (attribute(right, table)?, claim(left)?),
    };
    Some(Pair { attribute, claim })
}

fn ungroup(expr: &Expr) -> &Expr {
    match expr {
        Expr::Nested(inner) => ungroup(inner),
        other => other,
    }
}

/// `table.attribute`: the row's attribute (the rule names the row by its table, in any case).
fn attribute(expr: &Expr, table: &str) -> Option<String> {
    match ungroup(expr) {
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [row, attribute] if row.value.eq_ignore_ascii_case(table) => {
                Some(attribute.value.clone())
            }
            _ => None,
        },
        _ => None,
    }
}

fn claim(expr: &Expr) -> Option<Claim> {
    let Expr::Value(ValueWithSpan {
        value: Value::Placeholder(p),
        ..
    }) = ungroup(expr)
    else {
        return None;
    };
    Some(match p.strip_prefix(':')? {
        "sub" => Claim::Sub,
        "jti" => Claim::Jti,
        "iat" => Claim::Iat,
        field => Claim::Field(field.to_owned()),
    })
}

/// The runtime's `scope` of a table: `&[("org_id", Claim::Field("org"))]`.
pub fn tokens(pairs: &[Pair]) -> TokenStream {
    let claim = quote!(::guarded::__private::dynamo::Claim);
    let pairs = pairs.iter().map(
        |Pair {
             attribute,
             claim: c,
         }| {
            let c = match c {
                Claim::Sub => quote!(#claim::Sub),
                Claim::Jti => quote!(#claim::Jti),
                Claim::Iat => quote!(#claim::Iat),
                Claim::Field(name) => quote!(#claim::Field(#name)),
            };
            quote!((#attribute, #c))
        },
    );
    quote!(&[#(#pairs),*])
}

/// The fields of the application's claims type the scopes compare with, each once.
pub fn fields<'p>(scopes: impl IntoIterator<Item = &'p [Pair]>) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for pair in scopes.into_iter().flatten() {
        if let Claim::Field(name) = &pair.claim
            && !fields.contains(name)
        {
            fields.push(name.clone());
        }
    }
    fields
}
