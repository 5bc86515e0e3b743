//! The `#[guarded]` attribute. Use it through the `guarded` crate, whose documentation
//! describes what it guarantees; this crate is its implementation.
//!
//! Stages, one file each: `args` (the attribute) -> `model` (the fn and its guard parameter)
//! -> `body` (finds the SQL sites; `sites` recognises them, `executors` judges every other
//! call that runs SQL) -> `sql` (parses and rewrites one statement) -> `check` (fail-closed
//! rules) -> `expand` (generated code). `shield` turns a panic into a compile error.

mod args;
mod body;
mod check;
mod executors;
mod expand;
mod model;
mod returns;
mod shield;
mod sites;
// The SQL analysis is reworked on its own (splicing); until it lands here: `is_statement`
// has no caller left (only literals that reach a constructor or an executor are SQL), and
// `Analysis` carries one flag per fact the front-end reads.
#[allow(dead_code, clippy::struct_excessive_bools)]
mod sql;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use syn::ItemFn;
use syn::visit_mut::VisitMut;

/// Puts the ownership predicate into every statement of an async fn taking a `Guard`.
/// See the `guarded` crate for the full documentation.
#[proc_macro_attribute]
pub fn guarded(attr: TokenStream, item: TokenStream) -> TokenStream {
    let output = shield::catching(attr.into(), item.into(), expand_attr);
    if std::env::var_os("GUARDED_DEBUG").is_some_and(|v| v == "1") {
        eprintln!("#[guarded] expansion:\n{output}");
    }
    output.into()
}

fn expand_attr(attr: Tokens, item: Tokens) -> Tokens {
    let item: ItemFn = match syn::parse2(item) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    let mut raw = args::RawArgs::default();
    let parser = syn::meta::parser(|meta| raw.parse(&meta));
    let mut errors = Vec::new();
    let span = shield::first_span(&attr);
    if let Err(e) = syn::parse::Parser::parse2(parser, attr) {
        errors.push(e);
    }
    // After a malformed attribute the owner may be missing only because parsing stopped:
    // saying so would be a second error about the same mistake.
    let expanded = if errors.is_empty() || raw.has_owner() {
        match raw.finish(span) {
            Ok(args) => expand_fn(item, &args, &mut errors),
            Err(e) => {
                errors.push(e);
                Err(Box::new(item))
            }
        }
    } else {
        Err(Box::new(item))
    };
    // `expand_fn` answers `Ok` only when no error was found, the attribute's included.
    match expanded {
        Ok(tokens) => tokens,
        // The fn's signature stays next to the errors so the router and the IDE keep working;
        // its body does not, so the errors are not buried under the ones it would cause.
        Err(item) => {
            let errors = combine(errors).map(|e| e.to_compile_error());
            let fallback = shield::fallback(&item);
            quote::quote!(#errors #fallback)
        }
    }
}

/// The expansion, or on errors the fn back (its body is not cloned up front: on the path
/// every build takes, only the expansion needs it).
fn expand_fn(
    mut item: ItemFn,
    args: &args::Args,
    errors: &mut Vec<syn::Error>,
) -> Result<Tokens, Box<ItemFn>> {
    let Some(model) = model::read(&item, args, errors) else {
        return Err(Box::new(item));
    };
    let policy = sql::Policy {
        table: &args.owner.table,
        column: &args.owner.column,
        unguarded: &args.unguarded,
    };
    let ctx = expand::SiteCtx::new(args.deny, &model.guard.ident);
    let mut walker = body::Walker::new(&model.guard.ident, model.dialect, policy, &ctx);
    walker.visit_block_mut(&mut item.block);
    let found = std::mem::take(&mut walker.found);
    errors.append(&mut walker.errors);
    if !errors.is_empty() {
        return Err(Box::new(item));
    }
    Ok(expand::function(item, args, &model, &found, &ctx))
}

fn combine(errors: Vec<syn::Error>) -> Option<syn::Error> {
    errors.into_iter().reduce(|mut all, e| {
        all.combine(e);
        all
    })
}
