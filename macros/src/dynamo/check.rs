//! The fail-closed rules of a `Guard<DynamoDb>` fn, applied to what the walk lifted: each
//! request (`request::judge`, whose verdict the request keeps for `fill`), each probe and
//! each misuse. Every error goes to `Ctxt`, in the order of the source. (The attribute is
//! judged against the policy as the tables are read, `rules::policy`: that needs no body.)

use super::model::Found;
use super::operation::Operation;
use super::request;
use super::rules;
use super::tables::Tables;
use crate::ctxt::Ctxt;

/// The rules on what the walk found: each request judged (its verdict kept in it), each
/// probe of `send_with` and each misuse refused.
pub fn found(found: &mut [Found], tables: &Tables, cx: &Ctxt) {
    for found in found {
        match found {
            Found::Request(request) => {
                request.target = request::judge(&request.chain, tables, cx);
            }
            Found::Probe(probe) => {
                if probe.operation.is_none() {
                    send_with(&probe.call, cx);
                }
            }
            Found::Misuse(misuse) => cx.spanned(&misuse.tokens, misuse.kind.message()),
        }
    }
}

/// `Client::send_with(..)`, or the like through another type: refused under its path.
fn send_with(call: &syn::Expr, cx: &Ctxt) {
    let syn::Expr::Call(call) = call else {
        unreachable!("a probe named as no operation is a path call")
    };
    let syn::Expr::Path(func) = &*call.func else {
        unreachable!("a probe named as no operation is a path call")
    };
    let name = &func
        .path
        .segments
        .last()
        .expect("a path names something")
        .ident;
    debug_assert!(Operation::named(&name.to_string()).is_none());
    cx.spanned(func, rules::other_client(&format!("`{name}`")));
}
