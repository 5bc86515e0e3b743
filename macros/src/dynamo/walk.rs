//! The walk of a `Guard<DynamoDb>` fn's body, once: each request on the guard and each call
//! that may send on another client is lifted into the model, leaving a hole; each other use
//! of the guard is noted. The walk judges nothing and writes no code: `check` judges what it
//! lifted, `fill` expands it, so what is judged is exactly what is expanded.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, ExprMethodCall, ExprPath, Ident, Item, Macro};

use super::chain::{self, Chain};
use super::model::{Found, Kind, Misuse, Probe, Request};
use super::operation::Operation;
use super::rules;
use crate::model::hole;

/// Lifts every request and probe of `block` out of it, in the order of the source.
pub fn body(block: &mut Block, guard: &Ident) -> Vec<Found> {
    let mut walker = Walker {
        guard,
        found: Vec::new(),
    };
    walker.visit_block_mut(block);
    walker
        .found
        .into_iter()
        .map(|found| found.expect("each place taken is given what it holds"))
        .collect()
}

struct Walker<'a> {
    guard: &'a Ident,
    /// What was found; a place is taken (`None`) before the values of what goes there are
    /// walked, so the findings read in the order of the source.
    found: Vec<Option<Found>>,
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
            return self.elsewhere(chain);
        }
        let first = &chain.calls[0];
        let plain = first.args.is_empty() && first.turbofish.is_none();
        match first.method.to_string().as_str() {
            "subject" | "claims" if plain => {}
            "client" if plain => return self.request(chain),
            _ => self.misuse(chain.tokens(1), Kind::Guard),
        }
        self.visit_args(&mut chain.calls);
        chain.fold()
    }

    /// A chain on anything but the guard: each call named as an operation of the client is
    /// confirmed by type not to be a request (on the application's own client, it would go
    /// without the owner's condition).
    fn elsewhere(&mut self, chain: Chain) -> Expr {
        let Chain { base, calls } = chain;
        calls.into_iter().fold(base, |receiver, mut call| {
            *call.receiver = receiver;
            let name = call.method.to_string();
            if name == rules::SEND_WITH {
                self.misuse(
                    call.method.to_token_stream(),
                    Kind::Client("`.send_with(..)`".to_owned()),
                );
            }
            let span = call.method.span();
            let call = Expr::MethodCall(call);
            match Operation::named(&name) {
                Some(operation) => self.lift(Found::Probe(Probe {
                    call,
                    operation: Some(operation),
                    span,
                })),
                None => call,
            }
        })
    }

    /// `Client::delete_item(&client)`, `Client::delete_item` taken as a value, and the same
    /// of `send_with`: `true` when `expr` was one (and is handled).
    fn through_path(&mut self, expr: &mut Expr) -> bool {
        if let Expr::Call(call) = expr
            && let Expr::Path(func) = &*call.func
            && let Some(name) = operation_path(func)
        {
            let span = name.span();
            let operation = Operation::named(&name.to_string());
            let at = self.take();
            for arg in &mut call.args {
                self.visit_expr_mut(arg);
            }
            let call = std::mem::replace(expr, hole(at));
            self.give(
                at,
                Found::Probe(Probe {
                    call,
                    operation,
                    span,
                }),
            );
            return true;
        }
        if let Expr::Path(path) = expr
            && let Some(name) = operation_path(path)
        {
            let what = format!("`{name}` taken as a value");
            self.misuse(path.to_token_stream(), Kind::Client(what));
            return true;
        }
        false
    }

    /// A request on the guard, lifted before its values, which may read the caller or hold
    /// a request of their own.
    fn request(&mut self, mut chain: Chain) -> Expr {
        let at = self.take();
        self.visit_args(&mut chain.calls);
        self.give(
            at,
            Found::Request(Request {
                chain,
                target: None,
            }),
        );
        hole(at)
    }

    /// Lifts `found`, whose values are walked already: its hole.
    fn lift(&mut self, found: Found) -> Expr {
        let at = self.take();
        self.give(at, found);
        hole(at)
    }

    /// Takes the next place among the findings.
    fn take(&mut self) -> usize {
        self.found.push(None);
        self.found.len() - 1
    }

    fn give(&mut self, at: usize, found: Found) {
        self.found[at] = Some(found);
    }

    fn misuse(&mut self, tokens: TokenStream, kind: Kind) {
        self.found
            .push(Some(Found::Misuse(Misuse { tokens, kind })));
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
    fn tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        for (at, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Group(group) => self.tokens(group.stream()),
                TokenTree::Ident(ident) if sends(ident, &tokens[at + 1..]) => {
                    let what = format!(
                        "`{ident}(..)` inside another macro, where its type cannot be confirmed,"
                    );
                    self.misuse(ident.to_token_stream(), Kind::Client(what));
                }
                TokenTree::Ident(ident)
                    if ident == self.guard && !reads_caller(&tokens[at + 1..]) =>
                {
                    self.misuse(ident.to_token_stream(), Kind::GuardInMacro);
                }
                _ => {}
            }
        }
    }
}

/// `name(` where `name` is an operation of the client or `send_with`.
fn sends(name: &Ident, after: &[TokenTree]) -> bool {
    let name = name.to_string();
    (Operation::named(&name).is_some() || name == rules::SEND_WITH)
        && matches!(after.first(), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis)
}

/// The last segment of a path through a type or trait (`Client::delete_item`,
/// `<C as X>::query`) when it names an operation of the client or `send_with`.
fn operation_path(path: &ExprPath) -> Option<&Ident> {
    if path.path.segments.len() < 2 && path.qself.is_none() {
        return None;
    }
    let name = &path.path.segments.last()?.ident;
    let text = name.to_string();
    (Operation::named(&text).is_some() || text == rules::SEND_WITH).then_some(name)
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
                    self.misuse(expr.to_token_stream(), Kind::Guard);
                } else if !self.through_path(expr) {
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
