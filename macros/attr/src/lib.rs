//! The `#[guarded]` attribute. Use it through the `guarded` crate, whose documentation
//! describes what it guarantees; `guarded-macros-core` is its implementation, shared with
//! `guarded-audit`.

use proc_macro::TokenStream;

/// Puts the ownership predicate into every statement of an async fn taking a `Guard`.
/// See the `guarded` crate for the full documentation.
#[proc_macro_attribute]
pub fn guarded(attr: TokenStream, item: TokenStream) -> TokenStream {
    let ctx = guarded_macros_core::Context::from_env();
    let output = guarded_macros_core::expand(attr.into(), item.into(), &ctx);
    if std::env::var_os("GUARDED_DEBUG").is_some_and(|v| v == "1") {
        eprintln!("#[guarded] expansion:\n{output}");
    }
    output.into()
}
