//! The expansion of a checked body: each hole the walk left is filled, by its index, with
//! the request's call to the runtime (`request::expand`, on the table `check` judged) or the
//! probe around a call on another client. Nothing here recognises a request again.

use proc_macro2::Span;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, Ident};

use super::model::{Found, Probe, Request};
use super::operation::Operation;
use super::request;
use super::tables::Tables;
use crate::model::hole_index;

/// Fills every hole of `block` with what `found` holds at its index.
pub fn body(block: &mut Block, found: Vec<Found>, tables: &Tables) {
    let mut pass = Pass {
        tables,
        found: found.into_iter().map(Some).collect(),
    };
    pass.visit_block_mut(block);
    assert!(
        pass.found
            .iter()
            .all(|f| !matches!(f, Some(Found::Request(_) | Found::Probe(_)))),
        "the expansion met fewer holes than the walk left"
    );
}

struct Pass<'a> {
    tables: &'a Tables,
    /// What the walk found, each request or probe taken when its hole is filled.
    found: Vec<Option<Found>>,
}

impl Pass<'_> {
    /// The code for hole `at`: the holes of what it holds first.
    fn fill(&mut self, at: usize) -> Expr {
        match self.found.get_mut(at).and_then(Option::take) {
            Some(Found::Request(Request { mut chain, target })) => {
                for call in &mut chain.calls {
                    for arg in &mut call.args {
                        self.visit_expr_mut(arg);
                    }
                }
                match target {
                    Some(target) => request::expand(chain, target, self.tables),
                    None => unreachable!("a refused request is reported, and nothing is filled"),
                }
            }
            Some(Found::Probe(Probe {
                mut call,
                operation,
                span,
            })) => {
                self.visit_expr_mut(&mut call);
                probe(call, operation, span)
            }
            _ => unreachable!("each hole is a request or a probe, filled once"),
        }
    }
}

impl VisitMut for Pass<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match hole_index(expr) {
            Some(at) => *expr = self.fill(at),
            None => visit_mut::visit_expr_mut(self, expr),
        }
    }
}

/// `expr`, confirmed by type not to be a request of the SDK: the check's error sits on `span`.
/// A call named as an `operation` goes through the runtime's probe of that name (its mirror
/// of the list); `send_with`, refused by `check`, through the probe itself.
fn probe(expr: Expr, operation: Option<Operation>, span: Span) -> Expr {
    let checked = Ident::new("__guarded_checked", span);
    let probe = if let Some(operation) = operation {
        let name = Ident::new(operation.name(), span);
        quote::quote_spanned!(span=> ::guarded::__private::dynamo::probe::#name)
    } else {
        quote::quote_spanned!(span=> ::guarded::__private::dynamo::Probe)
    };
    let call = syn::ExprCall {
        attrs: Vec::new(),
        func: Box::new(syn::parse_quote!(#probe)),
        paren_token: syn::token::Paren(span),
        args: std::iter::once(expr).collect(),
    };
    syn::parse_quote_spanned!(span=> #call.#checked())
}
