//! The walk of a `Guard<DynamoDb>` fn's body: judges every use of the guard and expands each
//! request in place. One walk does both, so what is judged is exactly what is expanded.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, ExprMethodCall, ExprPath, Ident, Item, Macro};

use super::Tables;
use super::chain::{self, Chain};
use super::operation::Operation;
use super::request;
use super::rules;
use crate::ctxt::Ctxt;

/// Expands every request of `block`; every error goes to `cx`. `true` when a call was
/// wrapped in a probe (`probe`), which needs the runtime's `Pass` in scope.
pub fn body(block: &mut Block, guard: &Ident, tables: &Tables<'_>, cx: &Ctxt) -> bool {
    let mut walker = Walker {
        guard,
        tables,
        cx,
        probed: false,
    };
    walker.visit_block_mut(block);
    walker.probed
}

struct Walker<'a> {
    guard: &'a Ident,
    tables: &'a Tables<'a>,
    cx: &'a Ctxt,
    probed: bool,
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
            _ => self.cx.spanned(chain.tokens(1), rules::other_use()),
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
                self.cx
                    .spanned(&call.method, rules::other_client("`.send_with(..)`"));
            }
            let span = call.method.span();
            let call = Expr::MethodCall(call);
            match Operation::named(&name) {
                Some(operation) => {
                    self.probed = true;
                    probe(call, Some(operation), span)
                }
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
            if operation.is_none() {
                self.cx
                    .spanned(func, rules::other_client(&format!("`{name}`")));
            }
            for arg in &mut call.args {
                self.visit_expr_mut(arg);
            }
            let call = std::mem::replace(expr, chain::hole());
            *expr = probe(call, operation, span);
            self.probed = true;
            return true;
        }
        if let Expr::Path(path) = expr
            && let Some(name) = operation_path(path)
        {
            self.cx.spanned(
                &*path,
                rules::other_client(&format!("`{name}` taken as a value")),
            );
            return true;
        }
        false
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
                TokenTree::Ident(ident) if sends(ident, &tokens[at + 1..]) => {
                    self.cx.spanned(
                        ident,
                        rules::other_client(&format!(
                            "`{ident}(..)` inside another macro, where its type cannot be \
                             confirmed,"
                        )),
                    );
                }
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

/// `expr`, confirmed by type not to be a request of the SDK: the check's error sits on `span`.
/// A call named as an `operation` goes through the runtime's probe of that name (its mirror
/// of the list); `send_with`, refused already, through the probe itself.
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
