//! One request, `guard.client().OP() .. .send()`: judged, then handed to the runtime's `OP`,
//! which adds the owner's condition and sends it.

use quote::{quote, quote_spanned};
use syn::{Expr, ExprMethodCall, Ident, Lit};

use super::Tables;
use super::chain::{self, Chain};
use super::operation::Operation;
use super::rules;
use crate::ctxt::Ctxt;
use crate::policy::FILE;
use crate::policy::Owner;

/// The tables a request is checked against, by their places in [`Tables`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The guarded table its `.table_name("..")` names: its index in `owners`.
    One(usize),
    /// Every guarded table: a transaction names the table of each of its items.
    Every,
    /// A table the fn names `unguarded`: its index there.
    Unguarded(usize),
}

/// The request's table, or `None` once every problem with the chain is reported. `chain` is
/// the guard's, its first call `.client()`.
pub fn judge(chain: &Chain, tables: &Tables, cx: &Ctxt) -> Option<Target> {
    let Some(op) = chain.calls.get(1) else {
        cx.spanned(chain.tokens(1), rules::kept_client());
        return None;
    };
    let operation = Operation::named(&op.method.to_string()).filter(|op| op.guarded());
    if operation.is_none() {
        cx.push(rules::refused_operation(&op.method));
    }
    let middle = &chain.calls[2..];
    let sent = sent(chain, cx);
    let middle = &middle[..sent.unwrap_or(middle.len())];
    let mut allowed = true;
    for call in middle {
        if let Some(e) = rules::refused_method(&call.method) {
            cx.push(e);
            allowed = false;
        }
    }
    let operation = operation?;
    if operation.writes_one_item() && !tables.valid.is_empty() {
        for call in middle.iter().filter(|c| c.method == "return_values") {
            cx.spanned(&call.method, rules::RETURN_VALUES);
            allowed = false;
        }
    }
    let target = if operation.names_tables_per_item() {
        Some(Target::Every)
    } else {
        table(&op.method, middle, tables, cx)
    };
    if let Some(target) = &target {
        allowed &= scoped(operation, &op.method, middle, *target, tables, cx);
    }
    target.filter(|_| allowed && sent.is_some())
}

/// What a table's scope refuses of a request: `deny = 403` (it would tell another tenant's
/// item from none), and a put naming an attribute the scope sets. `false` once refused.
fn scoped(
    operation: Operation,
    op: &Ident,
    calls: &[ExprMethodCall],
    target: Target,
    tables: &Tables,
    cx: &Ctxt,
) -> bool {
    let scoped: Vec<(&Owner, &[super::scope::Pair])> = match target {
        Target::One(at) => {
            let owner = &tables.owners[at];
            tables
                .scope_of(owner)
                .map(|pairs| vec![(owner, pairs)])
                .unwrap_or_default()
        }
        Target::Every => tables
            .owners
            .iter()
            .filter_map(|owner| Some((owner, tables.scope_of(owner)?)))
            .collect(),
        Target::Unguarded(_) => Vec::new(),
    };
    let mut allowed = true;
    if tables.tells_forbidden
        && let Some((owner, _)) = scoped.first()
    {
        cx.spanned(op, rules::forbidden_in_scope(&owner.table));
        allowed = false;
    }
    if operation != Operation::PutItem {
        return allowed;
    }
    for call in calls.iter().filter(|call| call.method == "item") {
        let named = match call.args.first().map(ungroup) {
            Some(Expr::Lit(lit)) => match &lit.lit {
                Lit::Str(s) => Some((s, s.value())),
                _ => None,
            },
            _ => None,
        };
        let Some((literal, name)) = named else {
            continue;
        };
        for (owner, pairs) in &scoped {
            if pairs.iter().any(|p| p.attribute == name) {
                cx.spanned(literal, rules::scope_attribute_put(&owner.table, &name));
                allowed = false;
            }
        }
    }
    allowed
}

/// Where `.send()` is among the calls after the operation; it must be the last of them.
fn sent(chain: &Chain, cx: &Ctxt) -> Option<usize> {
    let after_op = &chain.calls[2..];
    let Some(at) = after_op.iter().position(|call| call.method == "send") else {
        cx.spanned(chain.tokens(chain.calls.len()), rules::unsent());
        return None;
    };
    let send = &after_op[at];
    if let Some(next) = after_op.get(at + 1) {
        cx.spanned(&next.method, rules::AFTER_SEND);
        return None;
    }
    if !send.args.is_empty() || send.turbofish.is_some() {
        let (turbofish, args) = (&send.turbofish, &send.args);
        cx.spanned(quote!(#turbofish #args), rules::SEND_ARGS);
        return None;
    }
    Some(at)
}

/// The guarded table the chain's one `.table_name("..")` names.
fn table(op: &Ident, calls: &[ExprMethodCall], tables: &Tables, cx: &Ctxt) -> Option<Target> {
    let owners = &tables.owners;
    let listed = listed(owners);
    let mut named = calls.iter().filter(|call| call.method == "table_name");
    let Some(first) = named.next() else {
        cx.spanned(
            op,
            format!(
                "name the table of `{op}` in this chain with `.table_name(\"...\")`, a string \
                 literal: the guard checks that it is one of this fn's guarded tables \
                 ({listed})"
            ),
        );
        return None;
    };
    if let Some(second) = named.next() {
        cx.spanned(
            &second.method,
            "the table is named twice; name it once, with `.table_name(\"...\")`",
        );
        return None;
    }
    let literal = match first.args.first().map(ungroup) {
        Some(Expr::Lit(lit)) if first.args.len() == 1 => match &lit.lit {
            Lit::Str(s) => Some(s),
            _ => None,
        },
        _ => None,
    };
    let Some(literal) = literal else {
        cx.spanned(
            &first.args,
            format!(
                "the table must be a string literal the macro can check against the guarded \
                 tables ({listed}): write `.table_name(\"items\")`"
            ),
        );
        return None;
    };
    let name = literal.value();
    if let Some(at) = owners.iter().position(|o| o.table == name) {
        return Some(Target::One(at));
    }
    if let Some(at) = tables.unguarded.iter().position(|t| *t == name) {
        return Some(Target::Unguarded(at));
    }
    cx.spanned(
        literal,
        format!(
            "`{name}` is not a guarded table of this fn, which guards {listed}; add it to \
             `owner` (or to {FILE}), name it in `unguarded = \"..\"` to request it without \
             the owner's condition, or request it outside #[guarded] fns"
        ),
    );
    None
}

/// An expression through the invisible groups of a `macro_rules!` `$e:expr`.
fn ungroup(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(g) => ungroup(&g.expr),
        _ => expr,
    }
}

fn listed(owners: &[Owner]) -> String {
    let names: Vec<String> = owners.iter().map(|o| format!("`{}`", o.table)).collect();
    names.join(", ")
}

/// `guard.client().OP() <calls> .send()` as
/// `__private::dynamo::OP(&guard, &<table>, &<fields>, __private::dynamo::client(&guard).OP()
/// <calls>)`, where `<fields>` are the claims the scopes compare with.
pub fn expand(chain: Chain, target: Target, tables: &Tables) -> Expr {
    let Chain { base, calls } = chain;
    let mut calls = calls.into_iter();
    let client = calls.next().expect("a request starts with `.client()`");
    let op = calls.next().expect("a judged request has its operation");
    let name = op.method.clone();
    let mut builder: Vec<ExprMethodCall> = std::iter::once(op).chain(calls).collect();
    builder.pop();
    // Generated paths carry the user's spans: a type error shows under the request.
    let client =
        quote_spanned!(client.method.span()=> ::guarded::__private::dynamo::client(&#base));
    let builder = chain::fold(Expr::Verbatim(client), builder);
    let dynamo = quote_spanned!(name.span()=> ::guarded::__private::dynamo);
    let fields = tables.fields(&base, target);
    Expr::Verbatim(match target {
        Target::One(at) => {
            let table = tables.table(at);
            quote_spanned!(name.span()=> #dynamo::#name(&#base, &#table, &#fields, #builder))
        }
        Target::Unguarded(at) => {
            let table = tables.unguarded(at);
            quote_spanned!(name.span()=> #dynamo::unguarded::#name(&#base, &#table, #builder))
        }
        Target::Every => {
            let every = (0..tables.owners.len()).map(|at| tables.table(at));
            let free = (0..tables.unguarded.len()).map(|at| tables.unguarded(at));
            quote_spanned! {name.span()=>
                #dynamo::#name(&#base, &[#(#every),*], &[#(#free),*], &#fields, #builder)
            }
        }
    })
}
