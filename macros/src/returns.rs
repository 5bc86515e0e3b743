//! Finding the `return`s of the fn: the ones the expansion cannot rewrite decide its shape
//! (`check::shape`), and the rest are rewritten by `replace.rs`.

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Expr, Item, Macro};

/// Whether some expression holds a `return` of the fn (not of a closure or an async block)
/// or a macro call that may hide one.
pub fn leaves_fn<'a>(exprs: impl IntoIterator<Item = &'a Expr>) -> bool {
    let mut found = Returns::default();
    for expr in exprs {
        found.visit_expr(expr);
    }
    found.plain || found.in_macro
}

/// Whether macro tokens may hold a `return`: they are not parsed, so any `return` counts.
pub fn mentions_return(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => i == "return",
        TokenTree::Group(g) => mentions_return(g.stream()),
        _ => false,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn any_return_in_macro_tokens_counts() {
        assert!(mentions_return(quote::quote!(my_bail!(return Ok(())))));
        assert!(!mentions_return(quote::quote!(println!("x"))));
    }
}
