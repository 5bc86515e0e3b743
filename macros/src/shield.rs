//! The macro never panics on the user: a panic becomes a compile error, and the fn's signature
//! stays so the router and the IDE keep working.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ItemFn;

/// Runs `expand`; a panic in it becomes an error on the attribute next to the fn's signature.
pub fn catching(
    attr: TokenStream,
    item: TokenStream,
    expand: fn(TokenStream, TokenStream) -> TokenStream,
) -> TokenStream {
    let span = first_span(&attr);
    // Unwind safety: nothing `expand` touches outlives the call; its tokens are dropped.
    let kept = item.clone();
    catch_unwind(AssertUnwindSafe(|| expand(attr, item))).unwrap_or_else(|_| {
        let error = syn::Error::new(span, "#[guarded] failed on this fn (please report it)")
            .to_compile_error();
        let fallback = syn::parse2::<ItemFn>(kept).ok().map(|item| fallback(&item));
        quote!(#error #fallback)
    })
}

/// The attribute's first token, else the call site.
pub fn first_span(attr: &TokenStream) -> Span {
    attr.clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |tt| tt.span())
}

/// The fn's signature with a body that never runs: the fn stays in scope next to the errors,
/// and its body does not add errors of its own that would bury them.
pub fn fallback(item: &ItemFn) -> TokenStream {
    let ItemFn {
        attrs, vis, sig, ..
    } = item;
    quote! {
        #(#attrs)*
        #[allow(unused_variables, unused_mut, unreachable_code)]
        #vis #sig { ::core::unreachable!("#[guarded] reported errors") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_an_error_next_to_the_signature() {
        let out = catching(
            quote!(owner = "items.owner_id"),
            quote!(
                async fn handler(id: i64) -> Result<(), E> {
                    body()
                }
            ),
            |_, _| panic!("a bug"),
        )
        .to_string();
        assert!(out.contains("please report it"), "{out}");
        assert!(out.contains("async fn handler"), "{out}");
        assert!(!out.contains("body ()"), "{out}");
    }

    #[test]
    fn without_a_panic_the_expansion_is_unchanged() {
        let out = catching(
            quote!(),
            quote!(
                fn f() {}
            ),
            |_, item| item,
        )
        .to_string();
        assert_eq!(out, "fn f () { }");
    }
}
