//! The error path: the errors, next to the fn's signature so the router and the IDE keep
//! working (tokio-macros, thiserror's `fallback.rs`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::{self, VisitMut};
use syn::{ItemFn, ReturnType, Type};

/// `errors` as `compile_error!`s next to `item`'s signature.
pub fn with_errors(errors: &syn::Error, item: &ItemFn) -> TokenStream {
    let errors = errors.to_compile_error();
    let signature = signature(item);
    quote!(#errors #signature)
}

/// The fn's signature with a body that never runs: the fn stays in scope next to the errors,
/// and its body does not add errors of its own that would bury them.
///
/// An `impl Trait` return type would be inferred from a body that never returns as `!`, which
/// implements few traits (`impl IntoResponse` would add an error of its own): the body is
/// then typed `Infallible`, which axum's `IntoResponse` and the standard traits take, and an
/// `impl Trait` nested in the return type (`Result<impl Serialize, E>`) is written as it.
pub fn signature(item: &ItemFn) -> TokenStream {
    let ItemFn {
        attrs, vis, sig, ..
    } = item;
    let mut sig = sig.clone();
    let body = match &mut sig.output {
        ReturnType::Type(_, ty) if matches!(**ty, Type::ImplTrait(_)) => quote! {
            let never: ::core::convert::Infallible = ::core::unreachable!("#[guarded] reported errors");
            never
        },
        ReturnType::Type(_, ty) => {
            Opaque.visit_type_mut(ty);
            quote!(::core::unreachable!("#[guarded] reported errors"))
        }
        ReturnType::Default => quote!(::core::unreachable!("#[guarded] reported errors")),
    };
    quote! {
        #(#attrs)*
        #[allow(unused_variables, unused_mut, unreachable_code)]
        #vis #sig { #body }
    }
}

/// Each `impl Trait` nested in a type, as `Infallible`.
struct Opaque;

impl VisitMut for Opaque {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(_) = ty {
            *ty = syn::parse_quote!(::core::convert::Infallible);
            return;
        }
        visit_mut::visit_type_mut(self, ty);
    }
}
