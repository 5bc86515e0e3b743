//! The stages apart: what the walk lifts out of a body, and what the check decides of it,
//! read without expanding anything.

use quote::{ToTokens, quote};
use syn::ItemFn;

use super::super::model::{Found, Model};
use super::super::request::Target;
use super::super::{DynamoDb, lift};
use crate::args;
use crate::ctxt::Ctxt;
use crate::model::hole_index;
use crate::pipeline::Pipeline;

/// The walk's output for `item`, guarding `items` with `scratch` unguarded, then checked:
/// the model, the errors the walk reported, and every error.
fn stages(item: &ItemFn) -> (Model, usize, Vec<String>) {
    let cx = Ctxt::new();
    let args = args::parse(quote!(owner = "items.owner_id", unguarded = "scratch"), &cx)
        .expect("valid arguments");
    let mut model = lift(item, &args, None, &cx).expect("lifted");
    let walked = cx.mark();
    DynamoDb::check(&mut model, &args, &cx);
    let errors = match cx.check() {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.to_string()).collect(),
    };
    (model, walked, errors)
}

/// The verdict of each request, in the order of the source.
fn targets(model: &Model) -> Vec<Option<Target>> {
    model
        .found
        .iter()
        .filter_map(|f| match f {
            Found::Request(request) => Some(request.target),
            _ => None,
        })
        .collect()
}

#[test]
fn the_walk_lifts_each_request_in_the_order_of_the_source_and_the_check_judges_it() {
    let item: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb>, write: TransactWriteItem) -> R {
            let key = guard.client().get_item().table_name("items").send().await?;
            guard
                .client()
                .put_item()
                .table_name("scratch")
                .item("copy", guard.client().get_item().table_name("items").send().await?)
                .send()
                .await?;
            guard.client().transact_write_items().transact_items(write).send().await
        }
    };
    let (model, walked, errors) = stages(&item);
    assert_eq!((walked, errors), (0, Vec::<String>::new()));
    assert_eq!(
        targets(&model),
        [
            Some(Target::One(0)),
            Some(Target::Unguarded(0)),
            Some(Target::One(0)),
            Some(Target::Every),
        ]
    );
    // The body holds the holes of the outer requests; the nested one's sits in its
    // request's values, lifted with it.
    let body = model.body.to_token_stream().to_string();
    assert!(!body.contains("client"), "{body}");
    let Found::Request(put) = &model.found[1] else {
        panic!("the second finding is the put")
    };
    let value = &put.chain.calls[3].args[1];
    let syn::Expr::Try(value) = value else {
        panic!("`..send().await?`")
    };
    let syn::Expr::Await(value) = &*value.expr else {
        panic!("`..send().await`")
    };
    assert_eq!(hole_index(&value.base), Some(2));
}

#[test]
fn the_walk_reports_nothing_and_the_check_every_error_in_the_order_of_the_source() {
    let item: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb>, state: App) -> R {
            let kept = guard.client();
            guard.client().get_item().table_name("lists").send().await?;
            state.client.delete_item().send().await?;
            guard.client().get_item().table_name("items").send().await?;
            guard.client().batch_write_item().send().await
        }
    };
    let (model, walked, errors) = stages(&item);
    assert_eq!(walked, 0, "the walk judges nothing");
    assert_eq!(
        targets(&model),
        [None, None, Some(Target::One(0)), None],
        "a refused request keeps no table; the sound one keeps its own"
    );
    let says = [
        "the client cannot be kept",
        "`lists` is not a guarded table of this fn",
        "`batch_write_item` cannot be guarded",
    ];
    assert_eq!(errors.len(), says.len(), "{errors:#?}");
    for (error, says) in errors.iter().zip(says) {
        assert!(error.contains(says), "expected {says:?} in {error}");
    }
    // The call on another client is lifted as a probe, confirmed by type when filled.
    let probes = model
        .found
        .iter()
        .filter(|f| matches!(f, Found::Probe(p) if p.operation.is_some()))
        .count();
    assert_eq!(probes, 1);
}
