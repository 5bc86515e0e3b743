//! The macro never panics on the user: a panic becomes a compile error, and the fn's signature
//! stays so the router and the IDE keep working.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::{args, fallback};

/// Runs `expand`; a panic in it becomes an error on the attribute next to the fn's signature.
pub fn catching(
    attr: TokenStream,
    item: TokenStream,
    expand: impl FnOnce(TokenStream, TokenStream) -> TokenStream,
) -> TokenStream {
    let span = args::attribute_span(&attr);
    // Unwind safety: nothing `expand` touches outlives the call; its tokens are dropped.
    let kept = item.clone();
    catch_unwind(AssertUnwindSafe(|| expand(attr, item))).unwrap_or_else(|_| {
        let error = syn::Error::new(span, "#[guarded] failed on this fn (please report it)")
            .to_compile_error();
        let fallback = syn::parse2::<ItemFn>(kept)
            .ok()
            .map(|item| fallback::signature(&item));
        quote!(#error #fallback)
    })
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
