//! The walk of a `Guard<DynamoDb>` fn's body: judges every use of the guard and expands each
//! request in place. One walk does both, so what is judged is exactly what is expanded.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, ExprMethodCall, Ident, Item, Macro};

use super::Tables;
use super::chain::{self, Chain};
use super::request;
use super::rules;
use crate::ctxt::Ctxt;

/// Expands every request of `block`; every error goes to `cx`.
pub fn body(block: &mut Block, guard: &Ident, tables: &Tables<'_>, cx: &Ctxt) {
    Walker { guard, tables, cx }.visit_block_mut(block);
}

struct Walker<'a> {
    guard: &'a Ident,
    tables: &'a Tables<'a>,
    cx: &'a Ctxt,
}

impl Walker<'_> {
    fn is_guard(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Path(p) if p.qself.is_none() && p.path.is_ident(self.guard))
    }

    /// A method chain, taken whole: on the guard it is a read of the caller, a request, or
    /// a mistake; on anything else only its base and arguments are walked.
    fn chain(&mut self, call: ExprMethodCall) -> Expr {
        let mut chain = chain::split(call);
        if !self.is_guard(&chain.base) {
            self.visit_expr_mut(&mut chain.base);
            self.visit_args(&mut chain.calls);
            return chain.fold();
        }
        let first = &chain.calls[0];
        let plain = first.args.is_empty() && first.turbofish.is_none();
        match first.method.to_string().as_str() {
            "subject" | "claims" if plain => {}
            "client" if plain => return self.request(chain),
            _ => self.cx.spanned(chain.tokens(1), rules::other_use()),
        }
        self.visit_args(&mut chain.calls);
        chain.fold()
    }

    fn request(&mut self, mut chain: Chain) -> Expr {
        let target = request::judge(&chain, self.tables, self.cx);
        // A request's values may read the caller, or hold a request of their own.
        self.visit_args(&mut chain.calls);
        match target {
            Some(target) => request::expand(chain, &target, self.tables),
            None => chain.fold(),
        }
    }

    fn visit_args(&mut self, calls: &mut [ExprMethodCall]) {
        for call in calls {
            for arg in &mut call.args {
                self.visit_expr_mut(arg);
            }
        }
    }

    /// Another macro's tokens cannot be expanded: the guard appears there only as
    /// `guard.subject()` or `guard.claims()`.
    fn tokens(&self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        for (at, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Group(group) => self.tokens(group.stream()),
                TokenTree::Ident(ident)
                    if ident == self.guard && !reads_caller(&tokens[at + 1..]) =>
                {
                    self.cx.spanned(
                        ident,
                        "inside another macro the guard can only be read, as `guard.subject()` \
                         or `guard.claims()`: the macro cannot expand a request there; send it \
                         outside the macro and hand the macro its output",
                    );
                }
                _ => {}
            }
        }
    }
}

/// Whether the tokens after the guard are `.subject()` or `.claims()`.
fn reads_caller(after: &[TokenTree]) -> bool {
    matches!(
        after,
        [TokenTree::Punct(dot), TokenTree::Ident(method), TokenTree::Group(args), ..]
            if dot.as_char() == '.'
                && (method == "subject" || method == "claims")
                && args.delimiter() == Delimiter::Parenthesis
                && args.stream().is_empty()
    )
}

impl VisitMut for Walker<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match std::mem::replace(expr, chain::hole()) {
            Expr::MethodCall(call) => *expr = self.chain(call),
            other => {
                *expr = other;
                if self.is_guard(expr) {
                    self.cx.spanned(&*expr, rules::other_use());
                } else {
                    visit_mut::visit_expr_mut(self, expr);
                }
            }
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut Macro) {
        self.tokens(mac.tokens.clone());
    }

    fn visit_item_mut(&mut self, item: &mut Item) {
        // A nested item cannot capture the guard, except a macro defined here, whose body
        // names the fn's locals.
        if let Item::Macro(item) = item {
            self.visit_macro_mut(&mut item.mac);
        }
    }
}
