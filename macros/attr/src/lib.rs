//! The `#[guarded]` attribute. Use it through the `guarded` crate, whose documentation
//! describes what it guarantees; `guarded-macros-core` is its implementation, shared with
//! `guarded-audit`.

use std::path::PathBuf;

use proc_macro::{Span, TokenStream};

/// Puts the ownership predicate into every statement of an async fn taking a `Guard`.
/// See the `guarded` crate for the full documentation.
#[proc_macro_attribute]
pub fn guarded(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut ctx = guarded_macros_core::Context::from_env();
    let cache = std::env::var_os("GUARDED_ANALYSIS_CACHE");
    if cache.as_ref().is_none_or(|v| v != "0") {
        // The compiler's own arguments: the cache sits beside its `--out-dir`.
        ctx = ctx.caching_analyses(std::env::args_os());
    }
    if cache.is_some_and(|v| v == "check") {
        ctx = ctx.checking_replays();
    }
    if let Some(file) = attribute_file() {
        ctx = ctx.in_file(file);
    }
    let output = guarded_macros_core::expand(attr.into(), item.into(), &ctx);
    if std::env::var_os("GUARDED_DEBUG").is_some_and(|v| v == "1") {
        eprintln!("#[guarded] expansion:\n{output}");
    }
    output.into()
}

/// The source file holding the attribute, as `include_str!` finds it: the compiler gives it
/// relative to its own working directory, which the macro shares; the expansion needs it
/// absolute (see `Context::in_file`).
fn attribute_file() -> Option<PathBuf> {
    let file = Span::call_site().local_file()?;
    if file.is_absolute() {
        return Some(file);
    }
    std::env::current_dir().ok().map(|dir| dir.join(file))
}
