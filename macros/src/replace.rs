//! The expansion of the body, in one pass: each statement the walk recorded is replaced by its
//! code, and in an inline body each `return` of the fn is rewritten to end through the scope.
//!
//! An inline body (`Shape::Single { inline: true }`) has no transaction to commit, so it runs
//! in the fn itself rather than in an `async` block of its own: `?` leaves directly (nothing to
//! roll back; the connection goes back to the pool on drop), and each `return value` ends in
//! `scope.finish_single(value)`, a plain fn, so a denial the body swallowed still wins. This
//! saves the second state machine and the `finish` future in every such fn: most of what a
//! guarded fn costs to compile beyond the hand-written one.
//!
//! A `?` straight after a guarded statement's `.await`, where it leaves the fn (not a closure
//! or an `async` block of the user's), converts the `guarded::Error` through the fn's `Ends`
//! witness rather than through `From` at that `?`: the conversion is the same, and a return
//! type whose error lacks `From<guarded::Error>` is one error at the return type instead of
//! one more at the attribute.

use proc_macro2::Span;
use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, ExprMethodCall, ExprTry, Ident, LitStr};

use crate::check::Shape;
use crate::model::{Runs, Statement, is_guard};
use crate::site::{self, Names};
use crate::sites::{self, Chain, RootKind};

/// What the pass needs besides the body.
pub struct Replace<'a> {
    pub guard: &'a Ident,
    pub names: &'a Names,
    pub shape: Shape,
    pub tells_forbidden: bool,
}

/// Expands `block`, whose statements the walk recorded in `statements`.
pub fn body(block: &mut Block, statements: Vec<Statement>, replace: &Replace<'_>) {
    let mut pass = Pass {
        replace,
        statements: statements.into_iter(),
        closures: 0,
    };
    pass.visit_block_mut(block);
    assert!(
        pass.statements.next().is_none(),
        "the expansion met fewer statements than the walk"
    );
}

struct Pass<'a> {
    replace: &'a Replace<'a>,
    statements: std::vec::IntoIter<Statement>,
    /// Closures and `async` blocks around the pass: a `return` there is not the fn's.
    closures: usize,
}

impl Pass<'_> {
    /// The next statement the walk recorded, which must be the one at `sql`: the walk and
    /// this pass recognise statements with the same functions, in the same order.
    fn next(&mut self, sql: &LitStr) -> Runs {
        let statement = self
            .statements
            .next()
            .expect("the expansion met more statements than the walk");
        assert!(
            statement.sql.value() == sql.value()
                && format!("{:?}", statement.sql.span()) == format!("{:?}", sql.span()),
            "the expansion met the statements in another order than the walk"
        );
        statement.runs
    }

    /// The arguments of the method calls of a chain; the executor call's too unless the
    /// statement runs on the guard (the same values the walk visited).
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

    /// A recognised statement at `expr`, run on the guard or not, with its literal `sql`.
    fn statement(&mut self, expr: &mut Expr, on_guard: bool, sql: &LitStr) {
        let Expr::MethodCall(call) = expr else {
            unreachable!("a statement is a method call")
        };
        self.visit_values(call, on_guard);
        match self.next(sql) {
            Runs::OnGuard(site) => {
                // Read again: its values now hold their own expansion.
                let Some(Ok(chain)) = Chain::of(call) else {
                    unreachable!("a recorded statement")
                };
                let Replace {
                    names,
                    tells_forbidden,
                    ..
                } = self.replace;
                *expr = site::on_guard(&chain, &site, names, *tells_forbidden);
            }
            Runs::Elsewhere => site::confirm_root(expr),
        }
    }

    fn rewrite_return(&mut self, expr: &mut Expr) {
        let Expr::Return(ret) = expr else { return };
        let Some(value) = ret.expr.as_mut() else {
            return;
        };
        self.visit_expr_mut(value);
        let Names { scope, ends, .. } = self.replace.names;
        let rewritten = quote_spanned! {value.span()=>
            return #scope.finish_single(#value, #ends)
        };
        *expr = Expr::Verbatim(rewritten);
    }

    /// Whether `try_` is `<statement on the guard>.await?`.
    fn awaits_guard(&self, try_: &ExprTry) -> bool {
        let Expr::Await(awaited) = &*try_.expr else {
            return false;
        };
        let Expr::MethodCall(call) = &*awaited.base else {
            return false;
        };
        matches!(Chain::of(call), Some(Ok(chain)) if is_guard(chain.executor(), self.replace.guard))
    }

    /// `<statement>.await?` as a `match` that ends the fn through its witness.
    fn rewrite_try(&mut self, expr: &mut Expr) {
        let Expr::Try(try_) = expr else { return };
        self.visit_expr_mut(&mut try_.expr);
        let awaited = &try_.expr;
        let ends = &self.replace.names.ends;
        let value = Ident::new("__guarded_value", Span::mixed_site());
        let error = Ident::new("__guarded_error", Span::mixed_site());
        let rewritten = quote_spanned! {try_.question_token.span=>
            match #awaited {
                ::guarded::__private::Ok(#value) => #value,
                ::guarded::__private::Err(#error) => return #ends.fail(#error),
            }
        };
        *expr = Expr::Verbatim(rewritten);
    }
}

impl VisitMut for Pass<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::MethodCall(call) => {
                if let Some(Ok(chain)) = Chain::of(call) {
                    let on_guard = is_guard(chain.executor(), self.replace.guard);
                    return self.statement(expr, on_guard, chain.root.sql());
                }
            }
            Expr::Call(_) | Expr::Macro(_) => {
                if let RootKind::Site(root) = sites::root_kind(expr) {
                    self.next(root.sql());
                    return site::confirm_root(expr);
                }
            }
            Expr::Try(try_) if self.closures == 0 && self.awaits_guard(try_) => {
                return self.rewrite_try(expr);
            }
            Expr::Return(_)
                if self.closures == 0 && self.replace.shape == (Shape::Single { inline: true }) =>
            {
                return self.rewrite_return(expr);
            }
            Expr::Closure(_) | Expr::Async(_) => {
                self.closures += 1;
                visit_mut::visit_expr_mut(self, expr);
                self.closures -= 1;
                return;
            }
            _ => {}
        }
        visit_mut::visit_expr_mut(self, expr);
    }

    // Nested items are not part of this fn's call (see `body.rs`).
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

#[cfg(test)]
mod tests {
    use proc_macro2::Span;
    use quote::quote;

    use super::*;

    fn expand(body: &str, shape: Shape) -> String {
        let mut block: Block = syn::parse_str(body).expect("block");
        let guard = Ident::new("guard", Span::call_site());
        let names = Names::new(&guard);
        let replace = Replace {
            guard: &guard,
            names: &names,
            shape,
            tells_forbidden: false,
        };
        self::body(&mut block, Vec::new(), &replace);
        quote!(#block).to_string()
    }

    #[test]
    fn returns_of_the_fn_go_through_finish() {
        let out = expand(
            "{ if a { return Ok(1); } let f = || { return 2; }; let b = async { return 3; }; fn g() -> i32 { return 4; } Ok(0) }",
            Shape::Single { inline: true },
        );
        assert!(
            out.contains("return guard . finish_single (Ok (1) , __guarded_ends)"),
            "{out}"
        );
        assert!(out.contains("return 2"), "{out}");
        assert!(out.contains("return 3"), "{out}");
        assert!(out.contains("return 4"), "{out}");
        assert_eq!(out.matches("finish_single").count(), 1, "{out}");
    }

    #[test]
    fn returns_stay_in_a_body_with_its_own_async_block() {
        let out = expand("{ if a { return Ok(1); } Ok(0) }", Shape::Transaction);
        assert!(!out.contains("finish_single"), "{out}");
    }
}
