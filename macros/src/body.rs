//! Walks a guarded fn's body: finds every SQL site, applies the fail-closed rules and
//! replaces each guarded chain with its expansion.

use syn::visit_mut::{self, VisitMut};
use syn::{Expr, ExprMacro, Ident, LitStr};

use crate::check;
use crate::executors::Judged;
use crate::expand::{self, SiteCtx};
use crate::sites::{self, RootKind};
use crate::sql::{self, Analysis, Dialect, Policy};

/// What the walk found, besides the rewritten body.
#[derive(Default)]
pub struct Found {
    /// Statement sites run on the guard.
    pub guard_sites: usize,
    /// Some guard site sits in a loop or closure (it may run more than once).
    pub repeated: bool,
    /// Some guard site writes.
    pub writes: bool,
    /// Some guard site's values hold a `return` of the fn, which its expansion (tokens by
    /// then) would hide from the rewriting of returns.
    pub returns_in_site: bool,
}

pub struct Walker<'a> {
    pub guard: &'a Ident,
    pub dialect: Dialect,
    pub policy: Policy<'a>,
    pub ctx: &'a SiteCtx,
    pub found: Found,
    pub errors: Vec<syn::Error>,
    depth: usize,
    /// The `move` of the innermost `move` closure or `async move` block around the walk.
    moved: Option<proc_macro2::Span>,
}

impl<'a> Walker<'a> {
    pub fn new(guard: &'a Ident, dialect: Dialect, policy: Policy<'a>, ctx: &'a SiteCtx) -> Self {
        Self {
            guard,
            dialect,
            policy,
            ctx,
            found: Found::default(),
            errors: Vec::new(),
            depth: 0,
            moved: None,
        }
    }

    fn analyse(&mut self, sql: &LitStr) -> Option<Analysis> {
        match sql::analyse(&sql.value(), self.dialect, &self.policy) {
            Ok(analysis) => Some(analysis),
            Err(message) => {
                self.errors.push(syn::Error::new(sql.span(), message));
                None
            }
        }
    }

    /// An executor call on a recognised root: checked, and rewritten when run on the guard.
    fn chain(&mut self, expr: &mut Expr, mut chain: sites::Chain) {
        let on_guard = check::is_guard(&chain.exec.args[0], self.guard);
        // On the guard the expansion is built from the chain's parts, so those are visited;
        // off it the user's expression stays, so it is visited in place.
        if on_guard {
            for method in &mut chain.methods {
                for arg in &mut method.args {
                    self.visit_expr_mut(arg);
                }
            }
        } else {
            self.visit_chain_args(expr);
        }
        let Some(analysis) = self.analyse(chain.root.sql()) else {
            return;
        };
        if let (true, Some(span)) = (on_guard, self.moved) {
            // The fn ends its scope after the body; a block or closure that took it could
            // not give it back.
            self.errors.push(syn::Error::new(
                span,
                "a statement on the guard cannot run inside a `move` closure or block: the \
                 guard stays with the fn; drop `move` (capture values by reference) or run \
                 the statement outside it",
            ));
            return;
        }
        if let Err(e) = check::chain(&chain, &analysis, on_guard) {
            self.errors.push(e);
            return;
        }
        if !on_guard {
            expand::confirm_root(expr);
            return;
        }
        self.found.guard_sites += 1;
        self.found.repeated |= self.depth > 0;
        self.found.writes |= analysis.writes;
        self.found.returns_in_site |= crate::returns::leaves_fn(chain.user_exprs());
        *expr = expand::site(&chain, &analysis, self.ctx);
    }

    /// The arguments of every method call of a chain, in place.
    fn visit_chain_args(&mut self, expr: &mut Expr) {
        let mut cursor = expr;
        loop {
            cursor = match cursor {
                Expr::MethodCall(m) => {
                    for arg in &mut m.args {
                        self.visit_expr_mut(arg);
                    }
                    &mut m.receiver
                }
                Expr::Group(g) => &mut g.expr,
                Expr::Paren(p) => &mut p.expr,
                _ => return,
            };
        }
    }

    /// A root that is not run in the same expression; `true` when it is allowed.
    fn detached(&mut self, kind: RootKind) -> bool {
        match kind {
            RootKind::Site(root) => match self.analyse(root.sql()) {
                Some(analysis) => match check::detached(&root, &analysis) {
                    Ok(()) => true,
                    Err(e) => {
                        self.errors.push(e);
                        false
                    }
                },
                None => false,
            },
            RootKind::Refused(e) => {
                self.errors.push(e);
                false
            }
            RootKind::NotSql => false,
        }
    }

    /// Another macro's tokens are opaque to the walk: refuse anything in them that could
    /// run SQL.
    fn foreign_macro(&mut self, mac: &syn::Macro) {
        if let Some(name) = mac
            .path
            .segments
            .last()
            .filter(|s| sites::MIGRATIONS.contains(&s.ident.to_string().as_str()))
        {
            self.errors.push(crate::executors::migrations(&name.ident));
            return;
        }
        if let Some(ident) = sql_name_in(mac.tokens.clone()) {
            self.errors.push(syn::Error::new(
                ident.span(),
                format!(
                    "the guard cannot see what `{ident}` does inside another macro; run the \
                     statement in its own expression outside it"
                ),
            ));
        }
    }
}

/// The first token naming something that runs SQL, looking into nested groups.
fn sql_name_in(tokens: proc_macro2::TokenStream) -> Option<Ident> {
    tokens.into_iter().find_map(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) if sites::names_sql(&i.to_string()) => Some(i),
        proc_macro2::TokenTree::Group(g) => sql_name_in(g.stream()),
        _ => None,
    })
}

impl VisitMut for Walker<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::MethodCall(call) => {
                if let Some(found) = sites::chain(call) {
                    match found {
                        Ok(chain) => self.chain(expr, chain),
                        Err(e) => self.errors.push(e),
                    }
                    return;
                }
                if let Judged::Refused = self.run_call(call) {
                    for arg in &mut call.args {
                        self.visit_expr_mut(arg);
                    }
                    return;
                }
            }
            Expr::Call(call) => {
                // Its path names the method; only the arguments are the user's values.
                if self.ufcs_call(call) {
                    for arg in &mut call.args {
                        self.visit_expr_mut(arg);
                    }
                    return;
                }
                match sites::root_kind(expr) {
                    RootKind::NotSql => {}
                    kind => {
                        if self.detached(kind) {
                            expand::confirm_root(expr);
                        }
                        return;
                    }
                }
            }
            Expr::Macro(_) => {
                match sites::root_kind(expr) {
                    RootKind::NotSql => {
                        if let Expr::Macro(mac) = expr {
                            self.foreign_macro(&mac.mac);
                        }
                    }
                    kind => {
                        if self.detached(kind) {
                            expand::confirm_root(expr);
                        }
                    }
                }
                return;
            }
            Expr::Path(path) => self.sql_path(path),
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) | Expr::Closure(_) => {
                let outer = self.moved;
                if let Expr::Closure(syn::ExprClosure {
                    capture: Some(token),
                    ..
                }) = expr
                {
                    self.moved = Some(token.span);
                }
                self.depth += 1;
                visit_mut::visit_expr_mut(self, expr);
                self.depth -= 1;
                self.moved = outer;
                return;
            }
            Expr::Async(syn::ExprAsync {
                capture: Some(token),
                ..
            }) => {
                let outer = self.moved.replace(token.span);
                visit_mut::visit_expr_mut(self, expr);
                self.moved = outer;
                return;
            }
            _ => {}
        }
        visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_stmt_macro_mut(&mut self, mac: &mut syn::StmtMacro) {
        let expr = Expr::Macro(ExprMacro {
            attrs: mac.attrs.clone(),
            mac: mac.mac.clone(),
        });
        match sites::root_kind(&expr) {
            RootKind::NotSql => self.foreign_macro(&mac.mac),
            // A statement macro's value is dropped: nothing runs.
            kind => {
                self.detached(kind);
            }
        }
    }

    fn visit_item_mut(&mut self, item: &mut syn::Item) {
        // Nested items (fns, impls, consts) are not part of this fn's call: they get their own
        // #[guarded] if they take a guard, and a `const` holding SQL is refused where it is
        // run. A macro defined here is different: the walk cannot see what its calls expand
        // to, and they expand inside this fn.
        if let syn::Item::Macro(item) = item {
            if item.ident.is_some() {
                self.errors.push(syn::Error::new_spanned(
                    &item.mac.path,
                    "a macro defined inside a #[guarded] fn expands to code the guard cannot \
                     see; define it outside the fn, or write its statements inline",
                ));
            } else {
                self.foreign_macro(&item.mac);
            }
        }
    }
}
