//! One walk of a parsed file: the `#[guarded]` fns, the axum routes, every fn with whether it
//! takes a guard, and every place outside a guarded fn that runs SQL through sqlx.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Attribute, Expr, ExprCall, ExprMethodCall, ImplItemFn, ItemFn, Lit, Macro, Token};

use guarded_macros_core::{sql_entry, sql_method};

/// A `#[guarded]` fn, as the macro receives it: its attribute's arguments and the fn without
/// the attribute.
pub struct GuardedItem {
    /// The attribute's arguments (`owner = "..."`), empty for `#[guarded]`.
    pub attr: TokenStream,
    /// The fn, its `#[guarded]` removed.
    pub item: ItemFn,
}

/// A fn of the crate.
pub struct FnInfo {
    pub name: String,
    pub line: usize,
    pub guarded: bool,
    /// A parameter's type names a `...Guard`.
    pub takes_guard: bool,
}

/// `.route("/items/{id}", put(rename))`: the handler's name, the method, the path.
pub struct Route {
    pub handler: String,
    /// The module the handler's path names (`users` in `users::register`).
    pub module: Option<String>,
    pub method: String,
    pub path: String,
    /// The fn that builds the router.
    pub in_fn: String,
}

/// `.nest("/api", api())`: the routes the fn `callee` builds sit under `prefix`.
pub struct Nest {
    pub prefix: String,
    pub callee: String,
    /// The fn that nests them.
    pub in_fn: String,
}

/// A place that runs SQL outside a guarded fn.
pub struct SqlSite {
    pub line: usize,
    /// The fn it sits in (`-` at the top level).
    pub in_fn: String,
    /// What runs it: `sqlx::query(..).execute`, `raw_sql`, `.execute`...
    pub what: String,
    /// The SQL, when a string literal holds it.
    pub sql: Option<String>,
}

/// What one file holds.
#[derive(Default)]
pub struct Scanned {
    pub guarded: Vec<GuardedItem>,
    pub fns: Vec<FnInfo>,
    pub routes: Vec<Route>,
    pub nests: Vec<Nest>,
    pub sites: Vec<SqlSite>,
}

/// Walks `file`.
pub fn scan(file: &syn::File) -> Scanned {
    let mut scanner = Scanner {
        found: Scanned::default(),
        in_fn: Vec::new(),
        consumed: Vec::new(),
    };
    scanner.visit_file(file);
    scanner.found
}

const ROUTING: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "trace", "connect", "any",
];

struct Scanner {
    found: Scanned,
    in_fn: Vec<String>,
    /// The roots (`sqlx::query(..)`) of chains already listed at their executor call.
    consumed: Vec<(usize, usize)>,
}

fn line(span: Span) -> usize {
    span.start().line
}

fn at(span: Span) -> (usize, usize) {
    let start = span.start();
    (start.line, start.column)
}

fn guarded_attr(attrs: &[Attribute]) -> Option<usize> {
    attrs.iter().position(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "guarded")
    })
}

fn attr_tokens(attr: &Attribute) -> TokenStream {
    match &attr.meta {
        syn::Meta::List(list) => list.tokens.clone(),
        _ => TokenStream::new(),
    }
}

fn takes_guard(sig: &syn::Signature) -> bool {
    fn names_guard(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|tt| match tt {
            TokenTree::Ident(i) => i.to_string().ends_with("Guard"),
            TokenTree::Group(g) => names_guard(g.stream()),
            _ => false,
        })
    }
    sig.inputs.iter().any(|input| match input {
        syn::FnArg::Typed(pat) => {
            let ty = &pat.ty;
            names_guard(quote::quote!(#ty))
        }
        syn::FnArg::Receiver(_) => false,
    })
}

/// The first string literal in `expr`, where a query's SQL is (`db.sql("INSERT ...")` too).
fn first_str(expr: &Expr) -> Option<String> {
    struct Find(Option<String>);
    impl Visit<'_> for Find {
        fn visit_lit(&mut self, lit: &Lit) {
            if let (None, Lit::Str(s)) = (&self.0, lit) {
                self.0 = Some(s.value());
            }
        }
    }
    let mut find = Find(None);
    find.visit_expr(expr);
    find.0
}

/// The first string literal among a macro's top-level tokens (`query_as!(Row, "SELECT ..")`).
fn macro_str(mac: &Macro) -> Option<String> {
    mac.tokens.clone().into_iter().find_map(|tt| match tt {
        TokenTree::Literal(lit) => match syn::Lit::new(lit) {
            Lit::Str(s) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

fn last_name(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// The root of a method chain: `sqlx::query(..)` in `sqlx::query(..).bind(x).execute(e)`.
fn chain_root(call: &ExprMethodCall) -> &Expr {
    let mut cursor = &*call.receiver;
    loop {
        match cursor {
            Expr::MethodCall(m) => cursor = &m.receiver,
            Expr::Paren(p) => cursor = &p.expr,
            Expr::Group(g) => cursor = &g.expr,
            Expr::Await(a) => cursor = &a.base,
            Expr::Try(t) => cursor = &t.expr,
            _ => return cursor,
        }
    }
}

/// The handlers of a route's method router: `get(a).post(b)`, `axum::routing::delete(c)`.
struct Handlers(Vec<(String, syn::Path)>);

impl Handlers {
    fn take(&mut self, method: &str, arg: Option<&Expr>) {
        if let (true, Some(Expr::Path(handler))) = (ROUTING.contains(&method), arg) {
            self.0.push((method.to_uppercase(), handler.path.clone()));
        }
    }
}

impl Visit<'_> for Handlers {
    fn visit_expr_call(&mut self, call: &ExprCall) {
        if let Expr::Path(f) = &*call.func {
            self.take(&last_name(&f.path), call.args.first());
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &ExprMethodCall) {
        self.take(&call.method.to_string(), call.args.first());
        visit::visit_expr_method_call(self, call);
    }
}

impl Scanner {
    fn fn_name(&self) -> String {
        self.in_fn.last().cloned().unwrap_or_else(|| "-".to_owned())
    }

    fn site(&mut self, span: Span, what: String, sql: Option<String>) {
        let in_fn = self.fn_name();
        self.found.sites.push(SqlSite {
            line: line(span),
            in_fn,
            what,
            sql,
        });
    }

    /// A fn: listed, and walked unless `#[guarded]` (the macro's listing covers its body).
    fn function(&mut self, attrs: &[Attribute], sig: &syn::Signature, item: Option<ItemFn>) {
        let guarded = guarded_attr(attrs);
        self.found.fns.push(FnInfo {
            name: sig.ident.to_string(),
            line: line(sig.ident.span()),
            guarded: guarded.is_some(),
            takes_guard: takes_guard(sig),
        });
        if let (Some(index), Some(mut item)) = (guarded, item) {
            let attr = item.attrs.remove(index);
            self.found.guarded.push(GuardedItem {
                attr: attr_tokens(&attr),
                item,
            });
        }
    }

    fn routes(&mut self, call: &ExprMethodCall) {
        let (Some(Expr::Lit(path)), Some(methods)) = (call.args.first(), call.args.get(1)) else {
            return;
        };
        let Lit::Str(path) = &path.lit else {
            return;
        };
        let mut handlers = Handlers(Vec::new());
        handlers.visit_expr(methods);
        for (method, handler) in handlers.0 {
            let segments: Vec<String> = handler
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            let module = segments
                .len()
                .checked_sub(2)
                .map(|i| segments[i].clone())
                .filter(|m| !["crate", "self", "super"].contains(&m.as_str()));
            self.found.routes.push(Route {
                handler: last_name(&handler),
                module,
                in_fn: self.fn_name(),
                method,
                path: path.value(),
            });
        }
    }
}

impl Visit<'_> for Scanner {
    fn visit_item_fn(&mut self, item: &ItemFn) {
        self.function(&item.attrs, &item.sig, Some(item.clone()));
        if guarded_attr(&item.attrs).is_none() {
            self.in_fn.push(item.sig.ident.to_string());
            visit::visit_item_fn(self, item);
            self.in_fn.pop();
        }
    }

    fn visit_impl_item_fn(&mut self, item: &ImplItemFn) {
        let as_item = ItemFn {
            attrs: item.attrs.clone(),
            vis: item.vis.clone(),
            sig: item.sig.clone(),
            block: Box::new(item.block.clone()),
        };
        self.function(&item.attrs, &item.sig, Some(as_item));
        if guarded_attr(&item.attrs).is_none() {
            self.in_fn.push(item.sig.ident.to_string());
            visit::visit_impl_item_fn(self, item);
            self.in_fn.pop();
        }
    }

    fn visit_expr_method_call(&mut self, call: &ExprMethodCall) {
        let method = call.method.to_string();
        if method == "route" && call.args.len() == 2 {
            self.routes(call);
        }
        if let ("nest", Some(Expr::Lit(prefix)), Some(Expr::Call(router))) =
            (method.as_str(), call.args.first(), call.args.get(1))
            && let (Lit::Str(prefix), Expr::Path(callee)) = (&prefix.lit, &*router.func)
        {
            let in_fn = self.fn_name();
            self.found.nests.push(Nest {
                prefix: prefix.value(),
                callee: last_name(&callee.path),
                in_fn,
            });
        }
        if sql_method(&method) && !call.args.is_empty() {
            let root = chain_root(call);
            let entry = match root {
                Expr::Call(c) => match &*c.func {
                    Expr::Path(f) if sql_entry(&last_name(&f.path)) => {
                        Some((c.func.as_ref().clone(), first_str(root)))
                    }
                    _ => None,
                },
                Expr::Macro(m) if sql_entry(&last_name(&m.mac.path)) => {
                    Some((root.clone(), macro_str(&m.mac)))
                }
                _ => None,
            };
            if let Some((func, sql)) = entry {
                // The chain is listed once, at its root, where its SQL is.
                let span = syn::spanned::Spanned::span(&func);
                self.consumed.push(at(span));
                let name = match (root, &func) {
                    (Expr::Macro(m), _) => format!("{}!", last_name(&m.mac.path)),
                    (_, Expr::Path(f)) => last_name(&f.path),
                    _ => String::new(),
                };
                self.site(span, format!("{name}(..).{method}"), sql);
            } else {
                let sql = call.args.iter().find_map(first_str);
                self.site(call.method.span(), format!(".{method}"), sql);
            }
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_call(&mut self, call: &ExprCall) {
        if let Expr::Path(f) = &*call.func {
            let name = last_name(&f.path);
            let span = syn::spanned::Spanned::span(&*call.func);
            if sql_entry(&name) && !self.consumed.contains(&at(span)) {
                let sql = call.args.iter().find_map(first_str);
                self.site(span, name, sql);
            }
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_macro(&mut self, mac: &Macro) {
        let name = last_name(&mac.path);
        let span = syn::spanned::Spanned::span(mac);
        if sql_entry(&name) {
            if !self.consumed.contains(&at(span)) {
                self.site(span, format!("{name}!"), macro_str(mac));
            }
            return;
        }
        // Other macros (`tokio::select!`, `vec!`, `assert!`) often hold expressions: walked
        // when their tokens read as a list of them.
        if let Ok(exprs) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
            for expr in &exprs {
                self.visit_expr(expr);
            }
        }
    }
}
