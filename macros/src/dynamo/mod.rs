//! The expansion of a `Guard<DynamoDb>` fn: each request, written as one chain
//! `guard.client().OP() .. .send()`, goes to the runtime's `OP`, which adds the owner's
//! condition to it and sends it.
//!
//! There is no SQL to rewrite and no scope to open: the fn is emitted as written, with each
//! request replaced. `rules` says what a fn may do, `walk` judges the body and `request`
//! expands one request; `chain` takes method chains apart.

mod chain;
mod checks;
mod condition;
mod operation;
mod request;
mod rules;
mod scope;
mod tables;
mod walk;

#[cfg(test)]
mod tests;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::policy::{self, Policy};
use crate::{Context, signature};
use tables::Tables;

/// The fn with its requests expanded; `None` once an error is reported to `cx`.
pub fn expand(item: &ItemFn, args: &Args, ctx: &Context, cx: &Ctxt) -> Option<TokenStream> {
    let file = args.policy_file(ctx).map_err(|e| cx.push(e)).ok()?;
    expand_with(item, args, file.as_ref(), cx)
}

/// `expand` with the crate's policy file already read.
fn expand_with(
    item: &ItemFn,
    args: &Args,
    file: Option<&Policy>,
    cx: &Ctxt,
) -> Option<TokenStream> {
    let guard = signature::read_dynamo(item, args, cx);
    let owners = crate::args::owners(args, file)
        .map_err(|e| cx.push(e))
        .ok()?;
    rules::policy(args, &owners, cx);
    let refused = |what: String| {
        cx.push(syn::Error::new(
            args.span,
            format!("{}: {what}", policy::FILE),
        ));
    };
    let valid = match file.and_then(|f| f.rules.valid.as_ref()).map(checks::valid) {
        Some(Err(why)) => {
            refused(format!("`[token] valid`: {why}"));
            Vec::new()
        }
        Some(Ok(valid)) => valid,
        None => Vec::new(),
    };
    let grants = owners
        .iter()
        .map(|owner| {
            checks::grants(&owner.grants, &owner.table).unwrap_or_else(|why| {
                refused(format!("`{}`: {why}", owner.table));
                TokenStream::new()
            })
        })
        .collect();
    let states = owners
        .iter()
        .map(|owner| {
            condition::conditions(owner).unwrap_or_else(|why| {
                cx.push(syn::Error::new(
                    args.span,
                    format!("{}: {why}", policy::FILE),
                ));
                Vec::new()
            })
        })
        .collect();
    let scopes: Vec<Vec<scope::Pair>> = owners
        .iter()
        .map(|owner| {
            scope::pairs(owner).unwrap_or_else(|why| {
                cx.push(syn::Error::new(args.span, why));
                Vec::new()
            })
        })
        .collect();
    let guard = guard?;
    let tables = Tables {
        used: std::cell::RefCell::new(vec![false; owners.len() + args.unguarded.len()]),
        owners: &owners,
        tells_forbidden: args.tells_forbidden,
        states,
        grants,
        valid,
        unguarded: &args.unguarded,
        scopes,
        span: args.span,
    };
    let mut block = (*item.block).clone();
    let probed = walk::body(&mut block, &guard.ident, &tables, cx);
    // Each table the requests name, defined once for the fn.
    block.stmts.splice(0..0, tables.definitions());
    if probed {
        // The trait through which a probed call that is not a request passes.
        block.stmts.insert(
            0,
            syn::parse_quote!(
                use ::guarded::__private::dynamo::Pass as _;
            ),
        );
    }
    if let Some(track) = policy::track(file.map(|f| f.path.as_path())) {
        block.stmts.insert(0, syn::parse_quote!(#track));
    }
    let ItemFn {
        attrs, vis, sig, ..
    } = item;
    Some(quote! {
        #(#attrs)*
        #vis #sig #block
    })
}
