//! The expansion of a `Guard<DynamoDb>` fn: each request, written as one chain
//! `guard.client().OP() .. .send()`, goes to the runtime's `OP`, which adds the owner's
//! condition to it and sends it.
//!
//! There is no SQL to rewrite and no scope to open: the fn is emitted as written, with each
//! request replaced. It runs the stages of [`Pipeline`] as the SQL side does: `walk` lifts
//! every request and every call on another client out of the body into `model`, leaving
//! holes; `check` applies `rules` and `request::judge` to what was lifted; `fill` puts each
//! request, expanded by `request::expand`, into its hole. `tables` renders the policy for the
//! runtime (with `condition`, `checks` and `scope`), `chain` takes method chains apart.

mod chain;
mod check;
mod checks;
mod condition;
mod fill;
mod model;
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
use crate::pipeline::Pipeline;
use crate::policy::{self, Owner, Policy};
use crate::{Context, signature};
use model::Model;
use tables::Tables;

/// The DynamoDB pipeline.
pub struct DynamoDb;

impl Pipeline for DynamoDb {
    type Model = Model;

    fn lift(item: &ItemFn, args: &Args, ctx: &Context, cx: &Ctxt) -> Option<Model> {
        let file = args.policy_file(ctx).map_err(|e| cx.push(e)).ok()?;
        lift(item, args, file.as_ref(), cx)
    }

    fn check(model: &mut Model, _: &Args, cx: &Ctxt) {
        check::found(&mut model.found, &model.tables, cx);
    }

    fn fill(item: ItemFn, _: &Args, model: Model) -> TokenStream {
        fill(item, model)
    }
}

/// The fn read with the crate's policy file `file`: its tables, then its body, walked.
fn lift(item: &ItemFn, args: &Args, file: Option<&Policy>, cx: &Ctxt) -> Option<Model> {
    let guard = signature::read_dynamo(item, args, cx);
    let owners = crate::args::owners(args, file)
        .map_err(|e| cx.push(e))
        .ok()?;
    rules::policy(args, &owners, cx);
    let tables = tables(owners, args, file, cx);
    let guard = guard?;
    let mut body = (*item.block).clone();
    let found = walk::body(&mut body, &guard.ident);
    Some(Model {
        tables,
        policy_file: file.map(|f| f.path.clone()),
        body,
        found,
    })
}

/// The guarded tables with the policy rendered for the runtime; what cannot be rendered is
/// reported to `cx`.
fn tables(owners: Vec<Owner>, args: &Args, file: Option<&Policy>, cx: &Ctxt) -> Tables {
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
    let conditions = owners
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
    Tables {
        used: std::cell::RefCell::new(vec![false; owners.len() + args.unguarded.len()]),
        owners,
        tells_forbidden: args.tells_forbidden,
        conditions,
        grants,
        valid,
        unguarded: args.unguarded.clone(),
        scopes,
        span: args.span,
    }
}

/// The fn with each hole of its body filled, and the tables its requests name defined.
fn fill(item: ItemFn, model: Model) -> TokenStream {
    let probed = model.probed();
    let Model {
        tables,
        policy_file,
        mut body,
        found,
        ..
    } = model;
    fill::body(&mut body, found, &tables);
    // Each table the requests name, defined once for the fn.
    body.stmts.splice(0..0, tables.definitions());
    if probed {
        // The trait through which a probed call that is not a request passes.
        body.stmts.insert(
            0,
            syn::parse_quote!(
                use ::guarded::__private::dynamo::Pass as _;
            ),
        );
    }
    if let Some(track) = policy::track(policy_file.as_deref()) {
        body.stmts.insert(0, syn::parse_quote!(#track));
    }
    let ItemFn {
        attrs, vis, sig, ..
    } = item;
    quote! {
        #(#attrs)*
        #vis #sig #body
    }
}
