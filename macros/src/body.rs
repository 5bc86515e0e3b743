//! The walk of a guarded fn's body, the one place statements are recognised: it judges every
//! other call that can run SQL, analyses each statement and lifts it out of the body into the
//! model with what surrounds it (a loop, a `move`), leaving a hole; `check::statements` applies
//! the statement rules to what it lifted, and the expansion fills each hole by its index
//! (`replace.rs`). The body it walks is a copy: on an error, the fn is emitted as written.

use proc_macro2::Span;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, ExprMethodCall, Macro};

use crate::check;
use crate::ctxt::Ctxt;
use crate::executors::{self, Judge, Judged};
use crate::model::{Env, OnGuard, Statement, hole};
use crate::returns;
use crate::site;
use crate::sites::{self, Chain, Root, RootKind};
use crate::sql::Analyses;

/// What the walk found.
pub struct Walked {
    pub statements: Vec<Statement>,
    pub hidden_return: bool,
}

/// Walks `block`, lifting its statements on the guard out of it; every error goes to `cx`.
pub fn walk(block: &mut Block, env: &Env<'_>, cx: &Ctxt) -> Walked {
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
    walker.visit_block_mut(block);
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

    /// An executor call on a recognised root at `expr`: analysed and lifted into the model,
    /// where `check::statements` judges it.
    fn statement(&mut self, expr: &mut Expr) {
        let Expr::MethodCall(call) = expr else {
            unreachable!("a statement is a method call")
        };
        let on_guard =
            matches!(Chain::of(call), Some(Ok(chain)) if self.env().is_guard(chain.executor()));
        // On the guard the expansion rebuilds the statement from its values, so those are
        // walked; off it the user's whole expression stays, executor included.
        self.visit_values(call, on_guard);
        let Some(Ok(chain)) = Chain::of(call) else {
            unreachable!("walking its values keeps a chain a chain")
        };
        if !on_guard {
            // Off the guard the macro's arguments stay inside its tokens.
            self.note_macro_args(&chain.root);
        }
        let (analyses, refused) = match self.env().analyse(chain.root.sql()) {
            Ok(analyses) => (analyses, false),
            Err(e) => {
                self.cx().push(e);
                if !on_guard {
                    // Off the guard the user's code runs as written: it type-checks alone.
                    return;
                }
                let values = chain.bound_values().count();
                let sql = chain.root.sql().value();
                (Analyses::refused(&sql, values, self.env().backends), true)
            }
        };
        let site = OnGuard {
            returns: returns::leaves_fn(chain.user_exprs()),
            repeated: self.repeated > 0,
            analyses,
        };
        let index = self.found.statements.len();
        let expr = std::mem::replace(expr, hole(index));
        self.found.statements.push(Statement {
            expr,
            site,
            on_guard,
            moved: self.moved,
            errors_before: self.cx().mark(),
            refused,
        });
    }

    /// The arguments of the method calls of a chain; the executor call's too unless the
    /// statement runs on the guard.
    fn visit_values(&mut self, call: &mut ExprMethodCall, on_guard: bool) {
        if !on_guard {
            for arg in &mut call.args {
                self.visit_expr_mut(arg);
            }
        }
        let mut cursor = sites::inner_call_mut(&mut call.receiver);
        while let Some(call) = cursor {
            for arg in &mut call.args {
                self.visit_expr_mut(arg);
            }
            cursor = sites::inner_call_mut(&mut call.receiver);
        }
    }

    /// A root that is not run in the same expression at `expr`: its constructor confirmed in
    /// place when allowed.
    fn detached(&mut self, expr: &mut Expr) {
        match sites::root_kind(expr) {
            RootKind::Site(root) => {
                self.note_macro_args(&root);
                let verdict = self
                    .env()
                    .analyse(root.sql())
                    .and_then(|analyses| check::detached(&root, analyses.facts()));
                match verdict {
                    Ok(()) => site::confirm_root(expr),
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

    /// The guard handed by value to an awaited call, `other(guard).await`: through
    /// `hand_on`, so that a callee taking a `Guard` (another guarded fn) is told why it
    /// cannot have it and what to write (see `GuardRef`).
    fn hand_on(&self, call: &mut Expr) {
        let args = match call {
            Expr::Call(call) => &mut call.args,
            Expr::MethodCall(call) => &mut call.args,
            _ => return,
        };
        for arg in args {
            if self.is_guard_value(arg) {
                // Spanned on the argument as written, so that the error sits under this use.
                let span = syn::spanned::Spanned::span(&*arg);
                *arg = syn::parse_quote_spanned!(span=> ::guarded::__private::hand_on(#arg));
            }
        }
    }

    /// `guard` or `guard.clone()`: the view by value.
    fn is_guard_value(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Path(path) => path.qself.is_none() && path.path.is_ident(self.env().guard),
            Expr::MethodCall(call) => {
                call.method == "clone"
                    && call.args.is_empty()
                    && self.is_guard_value(&call.receiver)
            }
            Expr::Paren(inner) => self.is_guard_value(&inner.expr),
            _ => false,
        }
    }

    /// Walks `expr` inside a loop, closure or block; `moved` is its `move` token, if any.
    fn nested(&mut self, expr: &mut Expr, repeats: bool, closure: bool, moved: Option<Span>) {
        let outer = self.moved;
        if moved.is_some() {
            self.moved = moved;
        }
        self.repeated += usize::from(repeats);
        self.closures += usize::from(closure);
        visit_mut::visit_expr_mut(self, expr);
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

impl VisitMut for Walker<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::MethodCall(call) => {
                if let Some(found) = Chain::of(call) {
                    match found {
                        Ok(_) => self.statement(expr),
                        Err(e) => self.cx().push(e),
                    }
                    return;
                }
                if let Judged::Refused = self.judge.method_call(call) {
                    // One mistake, one error: only the arguments are walked further.
                    for arg in &mut call.args {
                        self.visit_expr_mut(arg);
                    }
                    return;
                }
            }
            Expr::Call(call) => {
                // Its path names the method; only the arguments are the user's values.
                if self.judge.ufcs_call(call) {
                    for arg in &mut call.args {
                        self.visit_expr_mut(arg);
                    }
                    return;
                }
                if !matches!(sites::root_kind(expr), RootKind::NotSql) {
                    return self.detached(expr);
                }
            }
            Expr::Macro(_) => {
                if let (RootKind::NotSql, Expr::Macro(mac)) = (sites::root_kind(expr), &*expr) {
                    return self.foreign_macro(&mac.mac);
                }
                return self.detached(expr);
            }
            Expr::Path(path) => self.judge.path(path),
            Expr::Await(awaited) => {
                self.visit_expr_mut(&mut awaited.base);
                return self.hand_on(&mut awaited.base);
            }
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
        visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_stmt_macro_mut(&mut self, mac: &mut syn::StmtMacro) {
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

    fn visit_macro_mut(&mut self, mac: &mut Macro) {
        // A macro in a type or pattern: its tokens may still hide a `return`.
        self.note_macro_tokens(mac.tokens.clone());
    }

    fn visit_item_mut(&mut self, item: &mut syn::Item) {
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
