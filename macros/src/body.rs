//! The walk of a guarded fn's body: finds every statement, judges every call that can run
//! SQL, and records what it found in the model. It reads the body and changes nothing; the
//! expansion (`replace.rs`) meets the same statements in the same order.

use proc_macro2::Span;
use syn::visit::{self, Visit};
use syn::{Block, Expr, ExprMethodCall, Macro};

use crate::check;
use crate::ctxt::Ctxt;
use crate::executors::{self, Judge, Judged};
use crate::model::{Env, OnGuard, Runs, Statement};
use crate::returns;
use crate::sites::{self, Chain, Root, RootKind};

/// What the walk found.
pub struct Walked {
    pub statements: Vec<Statement>,
    pub hidden_return: bool,
}

/// Walks `block`; every error goes to `cx`.
pub fn walk(block: &Block, env: &Env<'_>, cx: &Ctxt) -> Walked {
    let mut walker = Walker {
        judge: Judge { env, cx },
        found: Walked {
            statements: Vec::new(),
            hidden_return: false,
        },
        repeated: 0,
        closures: 0,
        moved: None,
    };
    walker.visit_block(block);
    walker.found
}

struct Walker<'a> {
    judge: Judge<'a>,
    found: Walked,
    /// Loops and closures around the walk: a statement there may run more than once.
    repeated: usize,
    /// Closures and `async` blocks around the walk: a `return` there is not the fn's.
    closures: usize,
    /// The `move` of the innermost `move` closure or `async move` block around the walk.
    moved: Option<Span>,
}

impl Walker<'_> {
    fn env(&self) -> &Env<'_> {
        self.judge.env
    }

    fn cx(&self) -> &Ctxt {
        self.judge.cx
    }

    /// An executor call on a recognised root: judged, and recorded when allowed.
    fn statement(&mut self, call: &ExprMethodCall, chain: &Chain) {
        let on_guard = self.env().is_guard(chain.executor());
        // On the guard the expansion rebuilds the statement from its values, so those are
        // walked; off it the user's whole expression stays, executor included.
        self.visit_values(call, on_guard);
        if !on_guard {
            // Off the guard the macro's arguments stay inside its tokens.
            self.note_macro_args(&chain.root);
        }
        let analyses = match self.env().analyse(chain.root.sql()) {
            Ok(analyses) => analyses,
            Err(e) => return self.cx().push(e),
        };
        if let (true, Some(span)) = (on_guard, self.moved) {
            // The fn ends its scope after the body; a block or closure that took it could
            // not give it back.
            return self.cx().push(syn::Error::new(
                span,
                "a statement on the guard cannot run inside a `move` closure or block: the \
                 guard stays with the fn; drop `move` (capture values by reference) or run \
                 the statement outside it",
            ));
        }
        let tells_forbidden = self.env().tells_forbidden;
        if let Err(e) = check::statement(chain, &analyses, on_guard, tells_forbidden) {
            return self.cx().push(e);
        }
        let runs = if on_guard {
            Runs::OnGuard(Box::new(OnGuard {
                returns: returns::leaves_fn(chain.user_exprs()),
                repeated: self.repeated > 0,
                analyses,
            }))
        } else {
            Runs::Elsewhere
        };
        self.record(chain.root.sql(), runs);
    }

    fn record(&mut self, sql: &syn::LitStr, runs: Runs) {
        self.found.statements.push(Statement {
            sql: sql.clone(),
            runs,
        });
    }

    /// The arguments of the method calls of a chain; the executor call's too unless the
    /// statement runs on the guard.
    fn visit_values(&mut self, call: &ExprMethodCall, on_guard: bool) {
        let mut cursor = Some(call);
        let mut first = true;
        while let Some(call) = cursor {
            if !(first && on_guard) {
                for arg in &call.args {
                    self.visit_expr(arg);
                }
            }
            first = false;
            cursor = sites::inner_call(&call.receiver);
        }
    }

    /// A root that is not run in the same expression: recorded when allowed.
    fn detached(&mut self, kind: RootKind) {
        match kind {
            RootKind::Site(root) => {
                self.note_macro_args(&root);
                let verdict = self
                    .env()
                    .analyse(root.sql())
                    .and_then(|analyses| check::detached(&root, analyses.facts()));
                match verdict {
                    Ok(()) => self.record(root.sql(), Runs::Elsewhere),
                    Err(e) => self.cx().push(e),
                }
            }
            RootKind::Refused(e) => self.cx().push(e),
            RootKind::NotSql => {}
        }
    }

    /// Another macro's tokens are opaque to the walk: refuse anything in them that could
    /// run SQL.
    fn foreign_macro(&mut self, mac: &Macro) {
        self.note_macro_tokens(mac.tokens.clone());
        if let Some(name) = mac
            .path
            .segments
            .last()
            .filter(|s| sites::MIGRATIONS.contains(&s.ident.to_string().as_str()))
        {
            return self.cx().push(executors::migrations(&name.ident));
        }
        if let Some(ident) = sql_name_in(mac.tokens.clone()) {
            self.cx().push(syn::Error::new(
                ident.span(),
                format!(
                    "the guard cannot see what `{ident}` does inside another macro; run the \
                     statement in its own expression outside it"
                ),
            ));
        }
    }

    /// A `return` of the fn inside macro tokens cannot be rewritten to end through the scope.
    fn note_macro_tokens(&mut self, tokens: proc_macro2::TokenStream) {
        if self.closures == 0 && returns::mentions_return(tokens) {
            self.found.hidden_return = true;
        }
    }

    /// A `return` of the fn among a query macro's arguments, which stay inside its tokens.
    fn note_macro_args(&mut self, root: &Root) {
        if let Root::Macro { args, .. } = root
            && self.closures == 0
            && returns::leaves_fn(args)
        {
            self.found.hidden_return = true;
        }
    }

    /// Walks `expr` inside a loop, closure or block; `moved` is its `move` token, if any.
    fn nested(&mut self, expr: &Expr, repeats: bool, closure: bool, moved: Option<Span>) {
        let outer = self.moved;
        if moved.is_some() {
            self.moved = moved;
        }
        self.repeated += usize::from(repeats);
        self.closures += usize::from(closure);
        visit::visit_expr(self, expr);
        self.repeated -= usize::from(repeats);
        self.closures -= usize::from(closure);
        self.moved = outer;
    }
}

/// The first token naming something that runs SQL, looking into nested groups.
fn sql_name_in(tokens: proc_macro2::TokenStream) -> Option<proc_macro2::Ident> {
    tokens.into_iter().find_map(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) if sites::names_sql(&i.to_string()) => Some(i),
        proc_macro2::TokenTree::Group(g) => sql_name_in(g.stream()),
        _ => None,
    })
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        match expr {
            Expr::MethodCall(call) => {
                if let Some(found) = Chain::of(call) {
                    match found {
                        Ok(chain) => self.statement(call, &chain),
                        Err(e) => self.cx().push(e),
                    }
                    return;
                }
                if let Judged::Refused = self.judge.method_call(call) {
                    // One mistake, one error: only the arguments are walked further.
                    for arg in &call.args {
                        self.visit_expr(arg);
                    }
                    return;
                }
            }
            Expr::Call(call) => {
                // Its path names the method; only the arguments are the user's values.
                if self.judge.ufcs_call(call) {
                    for arg in &call.args {
                        self.visit_expr(arg);
                    }
                    return;
                }
                match sites::root_kind(expr) {
                    RootKind::NotSql => {}
                    kind => return self.detached(kind),
                }
            }
            Expr::Macro(mac) => {
                return match sites::root_kind(expr) {
                    RootKind::NotSql => self.foreign_macro(&mac.mac),
                    kind => self.detached(kind),
                };
            }
            Expr::Path(path) => self.judge.path(path),
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                return self.nested(expr, true, false, None);
            }
            Expr::Closure(closure) => {
                let moved = closure.capture.map(|token| token.span);
                return self.nested(expr, true, true, moved);
            }
            Expr::Async(block) => {
                let moved = block.capture.map(|token| token.span);
                return self.nested(expr, false, true, moved);
            }
            _ => {}
        }
        visit::visit_expr(self, expr);
    }

    fn visit_stmt_macro(&mut self, mac: &'ast syn::StmtMacro) {
        self.note_macro_tokens(mac.mac.tokens.clone());
        let expr = Expr::Macro(syn::ExprMacro {
            attrs: mac.attrs.clone(),
            mac: mac.mac.clone(),
        });
        match sites::root_kind(&expr) {
            RootKind::NotSql => self.foreign_macro(&mac.mac),
            // A statement macro's value is dropped: nothing runs, so nothing is recorded.
            RootKind::Site(root) => {
                if let Err(e) = self
                    .env()
                    .analyse(root.sql())
                    .and_then(|analyses| check::detached(&root, analyses.facts()))
                {
                    self.cx().push(e);
                }
            }
            RootKind::Refused(e) => self.cx().push(e),
        }
    }

    fn visit_macro(&mut self, mac: &'ast Macro) {
        // A macro in a type or pattern: its tokens may still hide a `return`.
        self.note_macro_tokens(mac.tokens.clone());
    }

    fn visit_item(&mut self, item: &'ast syn::Item) {
        // Nested items (fns, impls, consts) are not part of this fn's call: they get their own
        // #[guarded] if they take a guard, and a `const` holding SQL is refused where it is
        // run. A macro defined here is different: the walk cannot see what its calls expand
        // to, and they expand inside this fn.
        if let syn::Item::Macro(item) = item {
            if item.ident.is_some() {
                self.cx().spanned(
                    &item.mac.path,
                    "a macro defined inside a #[guarded] fn expands to code the guard cannot \
                     see; define it outside the fn, or write its statements inline",
                );
            } else {
                self.foreign_macro(&item.mac);
            }
        }
    }
}
