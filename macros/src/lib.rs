//! The `#[guarded]` attribute. Use it through the `guarded` crate, whose documentation
//! describes what it guarantees; this crate is its implementation.
//!
//! Stages, one file each, run by `expand::attribute`:
//! `args` (the attribute) -> `signature` (the guard parameter, the dialect) -> `policy` (the
//! guarded tables: the crate's `guarded.toml` and the attribute's `owner`) -> `body` (the
//! one walk: finds every statement with `sites`, judges other calls that run SQL with
//! `executors`, analyses each statement with `sql`, lifts it out of the body) -> `model` (all
//! of it, as data, each statement owning its syntax) -> `check` (the fail-closed rules on the
//! lifted statements, and the fn's shape) -> `replace` and `site` (the holes filled by index)
//! -> `expand` (the fn around it). `exec` is the list of executor methods shared
//! with the runtime; `ctxt` collects every error; `fallback` is the error path; `shield` turns
//! a panic into a compile error.
//!
//! A `Guard<DynamoDb>` fn (told by `signature`) takes another path after `args`: `dynamo`
//! (its own module) reads the policy, judges every use of the guard and hands each request
//! chain to the runtime, which adds the owner's condition.

mod args;
mod body;
mod check;
mod ctxt;
mod dynamo;
mod exec;
mod executors;
mod expand;
mod fallback;
mod model;
mod policy;
mod replace;
mod returns;
mod shield;
mod signature;
mod site;
mod sites;
mod sql;
#[cfg(test)]
mod sqlx_api;

use proc_macro::TokenStream;

/// Puts the ownership predicate into every statement of an async fn taking a `Guard`.
/// See the `guarded` crate for the full documentation.
#[proc_macro_attribute]
pub fn guarded(attr: TokenStream, item: TokenStream) -> TokenStream {
    let output = shield::catching(attr.into(), item.into(), expand::attribute);
    if std::env::var_os("GUARDED_DEBUG").is_some_and(|v| v == "1") {
        eprintln!("#[guarded] expansion:\n{output}");
    }
    output.into()
}
