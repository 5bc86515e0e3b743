//! The stages a backend runs a guarded fn through, and the one driver that runs them.
//!
//! Each backend reads the fn and lifts what its body runs on the guard out of a copy of the
//! body, leaving holes (`lift`); applies the fail-closed rules to what it lifted, every error
//! to `Ctxt` (`check`); and, when none was reported, fills each hole by its index and writes
//! the fn around the body (`fill`). The SQL pipeline (`expand::Sql`: `body`, `check`,
//! `replace` and `site`) and the DynamoDB one (`dynamo::DynamoDb`) implement it, and
//! `expand::attribute` runs the one for the guard's backend with [`run`]; an error ends both
//! the same way, but for what stands next to the errors (`refuse`).

use proc_macro2::TokenStream;
use syn::ItemFn;

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::{Context, fallback};

/// A backend's stages.
pub trait Pipeline {
    /// The fn read: its body with holes, and what was lifted out of them.
    type Model;

    /// Reads the fn and walks its body once; `None` once an error that leaves nothing to
    /// check is reported.
    fn lift(item: &ItemFn, args: &Args, ctx: &Context, cx: &Ctxt) -> Option<Self::Model>;

    /// The fail-closed rules on what `lift` found, each error to `cx`; what they decide for
    /// the expansion stays in the model.
    fn check(model: &mut Self::Model, args: &Args, cx: &Ctxt);

    /// The fn, each hole filled by its index; called only when no error was reported.
    fn fill(item: ItemFn, args: &Args, model: Self::Model) -> TokenStream;

    /// What stands next to `errors`: the fn's signature, so that the router and the IDE
    /// keep working. `reported` counts the errors `lift` and `check` reported.
    fn refuse(
        errors: &syn::Error,
        item: ItemFn,
        args: Option<Args>,
        model: Option<Self::Model>,
        reported: usize,
    ) -> TokenStream {
        let _ = (args, model, reported);
        fallback::with_errors(errors, &item)
    }
}

/// `lift` then `check`: the fn as the expansion would take it, its errors in `cx`.
pub fn read<P: Pipeline>(item: &ItemFn, args: &Args, ctx: &Context, cx: &Ctxt) -> Option<P::Model> {
    let mut model = P::lift(item, args, ctx, cx)?;
    P::check(&mut model, args, cx);
    Some(model)
}

/// The fn through `P`'s stages; on errors (the attribute's among them, in `cx`), every
/// error next to what `P::refuse` writes (`Err`).
pub fn run<P: Pipeline>(
    item: ItemFn,
    args: Option<Args>,
    ctx: &Context,
    cx: Ctxt,
) -> Result<TokenStream, TokenStream> {
    let model = args
        .as_ref()
        .and_then(|args| read::<P>(&item, args, ctx, &cx));
    let reported = cx.mark();
    match (cx.check(), args, model) {
        (Ok(()), Some(args), Some(model)) => Ok(P::fill(item, &args, model)),
        (Ok(()), ..) => unreachable!("a stage that read nothing reported an error"),
        (Err(errors), args, model) => Err(P::refuse(&errors, item, args, model, reported)),
    }
}
