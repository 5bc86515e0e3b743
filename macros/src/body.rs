//! Walks a guarded fn's body: finds every SQL site, applies the fail-closed rules and
//! replaces each guarded chain with its expansion.

use syn::visit_mut::{self, VisitMut};
use syn::{Expr, ExprMacro, Ident, LitStr};

use crate::check;
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
        for method in &mut chain.methods {
            for arg in &mut method.args {
                self.visit_expr_mut(arg);
            }
        }
        let Some(analysis) = self.analyse(chain.root.sql()) else {
            return;
        };
        let on_guard = check::is_guard(&chain.exec.args[0], self.guard);
        if let Err(e) = check::chain(&chain, &analysis, on_guard) {
            self.errors.push(e);
            return;
        }
        if on_guard {
            self.found.guard_sites += 1;
            self.found.repeated |= self.depth > 0;
            self.found.writes |= analysis.writes;
            self.found.returns_in_site |= crate::returns::leaves_fn(chain.user_exprs());
            *expr = expand::site(&chain, &analysis, self.ctx);
        }
    }

    /// A root that is not run in the same expression.
    fn detached(&mut self, kind: RootKind) {
        match kind {
            RootKind::Site(root) => {
                if let Some(Err(e)) = self.analyse(root.sql()).map(|a| check::detached(&root, &a)) {
                    self.errors.push(e);
                }
            }
            RootKind::Refused(e) => self.errors.push(e),
            RootKind::NotSql => {}
        }
    }

    /// Another macro's tokens are opaque to the walk: refuse SQL entry points inside them.
    fn foreign_macro(&mut self, mac: &ExprMacro) {
        if let Some(ident) = sql_entry_in(mac.mac.tokens.clone()) {
            self.errors.push(syn::Error::new(
                ident.span(),
                "the guard cannot see statements inside another macro; run the statement \
                 in its own expression outside it",
            ));
        }
    }

    /// A string literal outside any site: if it is SQL the guard would have to run, it is
    /// about to be run by something else (`pool.execute("...")`, a helper fn).
    fn stray_literal(&mut self, lit: &LitStr) {
        let text = lit.value();
        if !sql::is_statement(&text, self.dialect) {
            return;
        }
        let message = match sql::analyse(&text, self.dialect, &self.policy) {
            Ok(analysis) if !check::needs_guard(&analysis) => return,
            Ok(_) => "this SQL touches the guarded table or writes, but is not run by the \
                      guard; pass it to `sqlx::query(\"...\")` inline and execute that on the \
                      guard"
                .to_owned(),
            Err(message) => message,
        };
        self.errors.push(syn::Error::new(lit.span(), message));
    }
}

/// The first SQL entry point named in a token stream, looking into nested groups.
fn sql_entry_in(tokens: proc_macro2::TokenStream) -> Option<Ident> {
    tokens.into_iter().find_map(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) if sites::is_entry_name(&i.to_string()) => Some(i),
        proc_macro2::TokenTree::Group(g) => sql_entry_in(g.stream()),
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
            }
            Expr::Call(_) | Expr::Macro(_) => match sites::root_kind(expr) {
                RootKind::NotSql => {
                    if let Expr::Macro(mac) = expr {
                        self.foreign_macro(mac);
                        return;
                    }
                }
                kind => return self.detached(kind),
            },
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(lit),
                ..
            }) => {
                let lit = lit.clone();
                self.stray_literal(&lit);
                return;
            }
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) | Expr::Closure(_) => {
                self.depth += 1;
                visit_mut::visit_expr_mut(self, expr);
                self.depth -= 1;
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
            RootKind::NotSql => {
                if let Expr::Macro(m) = &expr {
                    self.foreign_macro(m);
                }
            }
            kind => self.detached(kind),
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {
        // Nested items (fns, impls) are not part of this fn's call: they get their own
        // #[guarded] if they take a guard.
    }
}
