//! The expansion of the body, in one pass: each hole the walk left is filled, by its index,
//! with the code of the statement it lifted out, and in an inline body each `return` of the
//! fn is rewritten to end through the scope. Nothing here recognises a statement again.
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
use syn::{Block, Expr, ExprTry, Ident};

use crate::check::Shape;
use crate::model::{Statement, hole_index};
use crate::site::{self, Names};
use crate::sites::{self, Chain};

/// What the pass needs besides the body.
pub struct Replace<'a> {
    pub names: &'a Names,
    pub shape: Shape,
    pub tells_forbidden: bool,
}

/// Expands `block`, whose statements the walk lifted into `statements`.
pub fn body(block: &mut Block, statements: Vec<Statement>, replace: &Replace<'_>) {
    let mut pass = Pass {
        replace,
        statements: statements.into_iter().map(Some).collect(),
        closures: 0,
    };
    pass.visit_block_mut(block);
    assert!(
        pass.statements.iter().all(Option::is_none),
        "the expansion met fewer holes than the walk left"
    );
}

struct Pass<'a> {
    replace: &'a Replace<'a>,
    /// The lifted statements, each taken when its hole is filled.
    statements: Vec<Option<Statement>>,
    /// Closures and `async` blocks around the pass: a `return` there is not the fn's.
    closures: usize,
}

impl Pass<'_> {
    /// Fills the hole of statement `index` at `expr`: the holes of its values first, then
    /// the statement's own code; `awaited`, the span of the user's `.await` when `expr` was
    /// `<hole>.await` of a statement on the guard (see [`site::on_guard`]).
    fn fill(&mut self, expr: &mut Expr, index: usize, awaited: Option<Span>) {
        let Statement {
            expr: mut lifted,
            site,
            on_guard,
            ..
        } = self
            .statements
            .get_mut(index)
            .and_then(Option::take)
            .expect("each hole is filled once");
        let Expr::MethodCall(call) = &mut lifted else {
            unreachable!("a lifted statement is a method call")
        };
        // Its values; its executor's only when that stays (not the guard, which the expansion
        // replaces).
        if !on_guard {
            for arg in &mut call.args {
                self.visit_expr_mut(arg);
            }
        }
        let mut cursor = sites::inner_call_mut(&mut call.receiver);
        while let Some(inner) = cursor {
            for arg in &mut inner.args {
                self.visit_expr_mut(arg);
            }
            cursor = sites::inner_call_mut(&mut inner.receiver);
        }
        if !on_guard {
            site::confirm_root(&mut lifted);
            *expr = lifted;
            return;
        }
        let Some(Ok(chain)) = Chain::of(call) else {
            unreachable!("a lifted statement is a chain")
        };
        let Replace {
            names,
            tells_forbidden,
            ..
        } = self.replace;
        *expr = site::on_guard(&chain, &site, names, *tells_forbidden, awaited);
    }

    /// Whether hole `index` is a statement on the guard, not yet filled.
    fn on_guard(&self, index: usize) -> bool {
        self.statements
            .get(index)
            .is_some_and(|lifted| lifted.as_ref().is_some_and(|s| s.on_guard))
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

    /// Whether `try_` is `<statement on the guard>.await?`: the hole of a lifted statement,
    /// awaited.
    fn awaits_guard(&self, try_: &ExprTry) -> bool {
        let Expr::Await(awaited) = &*try_.expr else {
            return false;
        };
        hole_index(&awaited.base).is_some_and(|index| self.on_guard(index))
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
            Expr::Verbatim(_) => {
                if let Some(index) = hole_index(expr) {
                    return self.fill(expr, index, None);
                }
            }
            // `<statement on the guard>.await`: the statement's code awaits it.
            Expr::Await(awaited) => {
                if let Some(index) = hole_index(&awaited.base).filter(|i| self.on_guard(*i)) {
                    let span = awaited.await_token.span;
                    return self.fill(expr, index, Some(span));
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
