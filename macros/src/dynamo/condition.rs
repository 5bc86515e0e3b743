//! A table's conditions, written in SQL in `guarded.toml` for every backend, as the DynamoDB
//! runtime decides them: comparisons of the item's own attributes with literals.
//!
//! A condition DynamoDB cannot decide on the item alone (a sub-select, a claim, a function)
//! is refused when the fn is compiled, never dropped.

use proc_macro2::TokenStream;
use quote::quote;
use sqlparser::ast::{BinaryOperator, Expr, Ident, UnaryOperator, Value, ValueWithSpan};

use crate::policy::{Condition, Owner, Rule};

/// What a condition may be on DynamoDB, in every refusal.
const SHAPE: &str = "on DynamoDB a condition compares the item's own attributes with \
                     literals: `items.a` (true), `items.a = 'x'`, `items.a <> 1`, \
                     `items.a < 2`, `items.a IS NULL` (absent), joined with NOT, AND and OR";

/// The runtime's `Condition`s of `owner`'s table, or why one cannot be decided on DynamoDB.
pub fn conditions(owner: &Owner) -> Result<Vec<TokenStream>, String> {
    owner
        .conditions
        .iter()
        .map(|c| condition(c, &owner.table))
        .collect()
}

fn condition(condition: &Condition, table: &str) -> Result<TokenStream, String> {
    let Condition { code, .. } = condition;
    let translate = |rule: Option<&Rule>| -> Result<TokenStream, String> {
        match rule {
            None => Ok(quote!(::core::option::Option::None)),
            Some(rule) => {
                let rule = translate(rule, table)
                    .map_err(|why| format!("the condition `{code}` of `{table}`: {why}"))?;
                Ok(quote!(::core::option::Option::Some(#rule)))
            }
        }
    };
    let update = translate(condition.update.as_ref())?;
    let delete = translate(condition.delete.as_ref())?;
    Ok(quote! {
        ::guarded::__private::dynamo::Condition { code: #code, update: #update, delete: #delete }
    })
}

/// One rule as the runtime's `Rule`.
pub fn translate(rule: &Rule, table: &str) -> Result<TokenStream, String> {
    if rule.claims().next().is_some() {
        return Err(format!(
            "it binds a claim, which DynamoDB cannot compare within the item; {SHAPE}"
        ));
    }
    translate_expr(&rule.expr, table)
}

/// A parsed rule on the attributes of `table` (a name or an alias) as the runtime's `Rule`.
pub fn translate_expr(expr: &Expr, table: &str) -> Result<TokenStream, String> {
    Translate { table }.expr(expr)
}

struct Translate<'a> {
    table: &'a str,
}

impl Translate<'_> {
    fn expr(&self, expr: &Expr) -> Result<TokenStream, String> {
        let path = quote!(::guarded::__private::dynamo::Rule);
        Ok(match expr {
            Expr::Nested(inner) => self.expr(inner)?,
            Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr,
            } => {
                let inner = self.expr(expr)?;
                quote!(#path::Not(&#inner))
            }
            Expr::BinaryOp { left, op, right } => match op {
                BinaryOperator::And | BinaryOperator::Or => {
                    let (l, r) = (self.expr(left)?, self.expr(right)?);
                    if matches!(op, BinaryOperator::And) {
                        quote!(#path::And(&[#l, #r]))
                    } else {
                        quote!(#path::Or(&[#l, #r]))
                    }
                }
                BinaryOperator::Eq | BinaryOperator::NotEq => {
                    let (attribute, value) = match (self.attribute(left), self.attribute(right)) {
                        (Some(a), None) => (a?, right),
                        (None, Some(a)) => (a?, left),
                        _ => return Err(refused(expr)),
                    };
                    let value = literal(value).ok_or_else(|| refused(expr))?;
                    let eq = quote!(#path::Eq(#attribute, #value));
                    if matches!(op, BinaryOperator::Eq) {
                        eq
                    } else {
                        quote!(#path::Not(&#eq))
                    }
                }
                BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq => {
                    // `value < a` is `a > value`.
                    let (attribute, value, flipped) =
                        match (self.attribute(left), self.attribute(right)) {
                            (Some(a), None) => (a?, right, false),
                            (None, Some(a)) => (a?, left, true),
                            _ => return Err(refused(expr)),
                        };
                    let value = literal(value).ok_or_else(|| refused(expr))?;
                    let order = match (op, flipped) {
                        (BinaryOperator::Lt, false) | (BinaryOperator::Gt, true) => quote!(Lt),
                        (BinaryOperator::LtEq, false) | (BinaryOperator::GtEq, true) => quote!(Le),
                        (BinaryOperator::Gt, false) | (BinaryOperator::Lt, true) => quote!(Gt),
                        _ => quote!(Ge),
                    };
                    quote!(#path::Cmp(#attribute, ::guarded::__private::dynamo::Order::#order, #value))
                }
                _ => return Err(refused(expr)),
            },
            Expr::IsNull(e) | Expr::IsNotNull(e) => {
                let attribute = self.attribute(e).ok_or_else(|| refused(expr))??;
                let exists = quote!(#path::Exists(#attribute));
                if matches!(expr, Expr::IsNull(_)) {
                    quote!(#path::Not(&#exists))
                } else {
                    exists
                }
            }
            Expr::IsTrue(e) | Expr::IsFalse(e) | Expr::IsNotTrue(e) | Expr::IsNotFalse(e) => {
                let attribute = self.attribute(e).ok_or_else(|| refused(expr))??;
                let truth = matches!(expr, Expr::IsTrue(_) | Expr::IsNotTrue(_));
                let eq = quote!(#path::Eq(#attribute, ::guarded::__private::dynamo::Value::Bool(#truth)));
                if matches!(expr, Expr::IsTrue(_) | Expr::IsFalse(_)) {
                    eq
                } else {
                    quote!(#path::Not(&#eq))
                }
            }
            _ => match self.attribute(expr) {
                Some(attribute) => {
                    let attribute = attribute?;
                    quote!(#path::Eq(#attribute, ::guarded::__private::dynamo::Value::Bool(true)))
                }
                None => return Err(refused(expr)),
            },
        })
    }

    /// The item's attribute `expr` names, if it is a column: `a` or `items.a`.
    fn attribute(&self, expr: &Expr) -> Option<Result<String, String>> {
        let column = |ident: &Ident| Some(Ok(ident.value.clone()));
        match expr {
            Expr::Nested(inner) => self.attribute(inner),
            Expr::Identifier(ident) => column(ident),
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [table, ident] if table.value.eq_ignore_ascii_case(self.table) => column(ident),
                _ => Some(Err(format!(
                    "`{expr}` is not an attribute of the item; {SHAPE}"
                ))),
            },
            _ => None,
        }
    }
}

fn refused(expr: &Expr) -> String {
    format!("`{expr}` cannot be decided by DynamoDB; {SHAPE}")
}

/// A literal as the runtime's `Value`.
fn literal(expr: &Expr) -> Option<TokenStream> {
    let path = quote!(::guarded::__private::dynamo::Value);
    let Expr::Value(ValueWithSpan { value, .. }) = expr else {
        return None;
    };
    Some(match value {
        Value::Boolean(b) => quote!(#path::Bool(#b)),
        Value::SingleQuotedString(s) => quote!(#path::Str(#s)),
        Value::Number(n, _) => quote!(#path::Num(#n)),
        // Only a `[token]` or `grant` check gets here with a claim: a condition's are refused.
        Value::Placeholder(p) => {
            let claim = match p.as_str() {
                ":sub" => quote!(Sub),
                ":jti" => quote!(Jti),
                ":iat" => quote!(Iat),
                _ => return None,
            };
            quote!(#path::Claim(::guarded::__private::dynamo::Claim::#claim))
        }
        _ => return None,
    })
}
