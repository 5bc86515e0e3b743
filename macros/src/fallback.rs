//! The error path: the errors, next to the fn's signature so the router and the IDE keep
//! working (tokio-macros, thiserror's `fallback.rs`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

/// `errors` as `compile_error!`s next to `item`'s signature.
pub fn with_errors(errors: &syn::Error, item: &ItemFn) -> TokenStream {
    let errors = errors.to_compile_error();
    let signature = signature(item);
    quote!(#errors #signature)
}

/// The fn's signature with a body that never runs: the fn stays in scope next to the errors,
/// and its body does not add errors of its own that would bury them.
pub fn signature(item: &ItemFn) -> TokenStream {
    let ItemFn {
        attrs, vis, sig, ..
    } = item;
    quote! {
        #(#attrs)*
        #[allow(unused_variables, unused_mut, unreachable_code)]
        #vis #sig { ::core::unreachable!("#[guarded] reported errors") }
    }
}
