//! A body that runs without an `async` block of its own: its `return`s go through the scope.
//!
//! A transactional body runs inside `async { .. }.await` so that every way out (`?`, `return`,
//! the tail) reaches `Scope::finish`. A single-statement body has no transaction to commit, so
//! it runs in the fn itself: `?` leaves directly (nothing to roll back; the connection goes
//! back to the pool on drop), and each `return value` and the tail end in
//! `scope.finish_single(value)`, a plain fn, so a denial the body swallowed still wins. This
//! saves the second state machine and the `finish` future in every such handler: most of what
//! a guarded fn costs to compile beyond the hand-written one.

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, Item, Macro};

/// Whether `return`s in `block` can all be rewritten: none hides inside a macro call.
/// Statement sites are already tokens by then; the walker asks [`leaves_fn`] of each.
pub fn rewritable(block: &Block) -> bool {
    let mut hidden = Returns::default();
    hidden.visit_block(block);
    !hidden.in_macro
}

/// Whether some expression holds a `return` of the fn (not of a closure or an async block)
/// or a macro call that may hide one.
pub fn leaves_fn<'a>(exprs: impl IntoIterator<Item = &'a Expr>) -> bool {
    let mut found = Returns::default();
    for expr in exprs {
        found.visit_expr(expr);
    }
    found.plain || found.in_macro
}

#[derive(Default)]
struct Returns {
    plain: bool,
    in_macro: bool,
}

impl Visit<'_> for Returns {
    fn visit_macro(&mut self, mac: &Macro) {
        self.in_macro |= mentions_return(mac.tokens.clone());
    }

    fn visit_expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Return(_) => self.plain = true,
            _ => syn::visit::visit_expr(self, expr),
        }
    }

    fn visit_item(&mut self, _: &Item) {}
}

fn mentions_return(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => i == "return",
        TokenTree::Group(g) => mentions_return(g.stream()),
        _ => false,
    })
}

/// Rewrites every `return value` of the fn's own body (not of closures, async blocks or
/// nested items) to end through `scope`.
pub fn through_finish(block: &mut Block, scope: &Ident) {
    ThroughFinish { scope }.visit_block_mut(block);
}

struct ThroughFinish<'a> {
    scope: &'a Ident,
}

impl VisitMut for ThroughFinish<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            // Their `return`s leave the closure or the block, not the fn.
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Return(ret) => {
                let Some(value) = ret.expr.as_mut() else {
                    return;
                };
                self.visit_expr_mut(value);
                let scope = self.scope;
                let rewritten = quote_spanned! {value.span()=>
                    return #scope.finish_single(#value)
                };
                *expr = Expr::Verbatim(rewritten);
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _: &mut Item) {}
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn rewrite(body: &str) -> String {
        let mut block: Block = syn::parse_str(body).expect("block");
        through_finish(&mut block, &Ident::new("s", proc_macro2::Span::call_site()));
        quote!(#block).to_string()
    }

    #[test]
    fn returns_of_the_fn_go_through_finish() {
        let out = rewrite(
            "{ if a { return Ok(1); } let f = || { return 2; }; let b = async { return 3; }; fn g() -> i32 { return 4; } Ok(0) }",
        );
        assert!(out.contains("return s . finish_single (Ok (1))"), "{out}");
        assert!(out.contains("return 2"), "{out}");
        assert!(out.contains("return 3"), "{out}");
        assert!(out.contains("return 4"), "{out}");
        assert_eq!(out.matches("finish_single").count(), 1, "{out}");
    }

    #[test]
    fn a_return_inside_a_macro_keeps_the_async_block() {
        let hidden: Block = syn::parse_str("{ my_bail!(return Ok(())); Ok(()) }").expect("block");
        assert!(!rewritable(&hidden));
        let plain: Block = syn::parse_str("{ println!(\"x\"); Ok(()) }").expect("block");
        assert!(rewritable(&plain));
    }

    #[test]
    fn a_return_in_a_statement_value_is_found() {
        let expr = |text: &str| -> Expr { syn::parse_str(text).expect("expr") };
        let leaving = expr("match v { Some(v) => v, None => return Err(e) }");
        assert!(leaves_fn([&leaving]));
        assert!(leaves_fn([&expr("bail!(return x)")]));
        let staying = [
            expr("|| return 1"),
            expr("async { return 2 }"),
            expr("a + b"),
        ];
        assert!(!leaves_fn(&staying));
    }
}
