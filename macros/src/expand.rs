//! The pipeline, and the code around the body: the wrapped fn.
//!
//! Generated code names only `::guarded::__private::...` and `__guarded_*` locals with
//! mixed-site hygiene, so nothing in the user's scope can change its meaning.

use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, ReturnType};

use crate::args::{self, Args};
use crate::backend::{Backends, Dialect};
use crate::check::{self, Shape};
use crate::ctxt::Ctxt;
use crate::model::{self, Env, Model};
use crate::pipeline::{self, Pipeline};
use crate::policy::Claim;
use crate::replace::{self, Replace};
use crate::site::{Names, respan};
use crate::sql::Policy;
use crate::{Context, body, dynamo, fallback, policy, signature};

/// `#[guarded(attr)] item`: read, check, expand, through the pipeline of the guard's
/// backend (`pipeline`); on errors, every error next to the fn's signature. With the
/// expansion, when the fn expanded without an error, the files besides its tokens it depends
/// on (`policy::files`).
pub fn attribute(
    attr: TokenStream,
    item: TokenStream,
    ctx: &Context,
) -> (TokenStream, Option<Vec<PathBuf>>) {
    let item: ItemFn = match syn::parse2(item) {
        Ok(item) => item,
        Err(e) => return (e.to_compile_error(), None),
    };
    let cx = Ctxt::new();
    let args = args::parse(attr, &cx);
    if args.as_ref().is_some_and(|args| args.policy_reported(ctx)) {
        // A mistake in the policy file is told once, at the first guarded fn reading it; the
        // crate does not build.
        let tokens = match cx.check() {
            Ok(()) => fallback::signature(&item),
            Err(errors) => fallback::with_errors(&errors, &item),
        };
        return (tokens, None);
    }
    let named = args.as_ref().and_then(Args::named_policy);
    let run = match &args {
        Some(read) if signature::is_dynamo(&item, read) => {
            pipeline::run::<dynamo::DynamoDb>(item, args, ctx, cx)
        }
        _ => pipeline::run::<Sql>(item, args, ctx, cx),
    };
    match run {
        Ok(tokens) => (tokens, Some(policy::files(named.as_deref(), ctx))),
        Err(tokens) => (tokens, None),
    }
}

/// Whether the `errors` reported are all refusals of statements' SQL: the fn's code is then
/// sound Rust, and expanding it adds only the errors the body has of its own. Any other
/// refusal (an executor, a closure, the fn's shape) is of code whose expansion would add
/// errors that repeat it.
fn only_refused_sql(model: &Model, errors: usize) -> bool {
    model.statements.iter().filter(|s| s.refused).count() == errors
}

/// The errors next to the fn expanded as if they were not there (each refused statement as
/// written, [`Analyses::refused`](crate::sql::Analyses::refused)), so that the body's own type
/// errors show in the same build; the crate does not compile, so none of it ever runs. Should
/// the expansion fail on a model the checks refused, the errors stand next to the signature.
fn typed(errors: &syn::Error, item: ItemFn, args: &Args, model: Model) -> TokenStream {
    let signature = fallback::signature(&item);
    let expanded =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| function(item, args, model)))
            .unwrap_or(signature);
    let errors = errors.to_compile_error();
    quote!(#errors #expanded)
}

/// The model of `item`: its signature, its guarded tables, then its body.
fn lift(item: &ItemFn, args: &Args, ctx: &Context, cx: &Ctxt) -> Option<Model> {
    let file = args.policy_file(ctx).map_err(|e| cx.push(e)).ok()?;
    let database = file.as_ref().and_then(|f| f.rules.dialect);
    let signature = signature::read(item, args, database, cx);
    let owners = args::owners(args, file.as_ref())
        .map_err(|e| cx.push(e))
        .ok()?;
    if let Some(owner) = owners
        .iter()
        .find(|o| !crate::args::is_identifier(&o.table))
    {
        cx.push(syn::Error::new(
            args.owner_span.unwrap_or(args.span),
            format!(
                "`{}` is not a SQL table name: give the table alone, made of letters, digits \
                 and `_` (`items.owner_id`); names with `-` or `.` are DynamoDB tables, for a \
                 `Guard<DynamoDb>` fn",
                owner.table
            ),
        ));
        return None;
    }
    let (guard, backends, confirm) = signature?;
    let env = Env {
        guard: &guard.ident,
        backends,
        policy: Policy {
            owners: &owners,
            unguarded: &args.unguarded,
            valid: file.as_ref().and_then(|f| f.rules.valid.as_ref()),
        },
        cache: ctx.cache(),
    };
    let mut body = (*item.block).clone();
    let walked = body::walk(&mut body, &env, cx);
    let valid = file.as_ref().and_then(|f| f.rules.valid.clone());
    let model = Model {
        guard,
        confirm,
        owners,
        backends,
        valid,
        policy_file: file.map(|f| f.path),
        body,
        statements: walked.statements,
        hidden_return: walked.hidden_return,
    };
    Some(model)
}

/// The statement rules on the statements `lift` lifted.
fn check_lifted(model: &Model, args: &Args, cx: &Ctxt) {
    check::statements(&model.statements, args.tells_forbidden, cx);
    if args.tells_forbidden {
        check::deniable(&model.statements, args.deny_span, cx);
    }
}

/// The SQL pipeline: `body` lifts, `check` judges, `replace` and `site` fill; the
/// functions of this file run them.
pub struct Sql;

impl Pipeline for Sql {
    type Model = Model;

    fn lift(item: &ItemFn, args: &Args, ctx: &Context, cx: &Ctxt) -> Option<Model> {
        lift(item, args, ctx, cx)
    }

    fn check(model: &mut Model, args: &Args, cx: &Ctxt) {
        check_lifted(model, args, cx);
    }

    fn fill(item: ItemFn, args: &Args, model: Model) -> TokenStream {
        function(item, args, model)
    }

    /// The fn expanded next to the errors when they are all refusals of statements' SQL
    /// (`typed`), so the body's own type errors show in the same build.
    fn refuse(
        errors: &syn::Error,
        item: ItemFn,
        args: Option<Args>,
        model: Option<Model>,
        reported: usize,
    ) -> TokenStream {
        match (args, model) {
            (Some(args), Some(model)) if only_refused_sql(&model, reported) => {
                typed(errors, item, &args, model)
            }
            _ => fallback::with_errors(errors, &item),
        }
    }
}

/// The claims the policy's conditions bind, taken from the guard before the body runs; a
/// token that lacks `jti` or `iat`, or whose claims type holds `None` in an `Option` field a
/// condition binds, ends the fn as unauthorized before any statement. A field of the
/// application's claims type is cloned; a missing field is a compile error at the attribute.
fn claims(model: &Model, guard: &Ident, ends: &Ident, span: Span) -> TokenStream {
    model
        .claims()
        .iter()
        .map(|claim| {
            let local = Names::claim(claim);
            match claim {
                Claim::Sub => quote!(),
                Claim::Jti | Claim::Iat => {
                    let get = Ident::new(
                        if *claim == Claim::Jti { "jti" } else { "iat" },
                        Span::call_site(),
                    );
                    quote! {
                        let #local = match ::guarded::__private::#get(&#guard) {
                            ::guarded::__private::Ok(value) => value,
                            ::guarded::__private::Err(e) => return #ends.fail(e),
                        };
                    }
                }
                Claim::Field(field) => {
                    let field = Ident::new(field, span);
                    quote_spanned! {span=>
                        let #local = {
                            #[allow(unused_imports)]
                            use ::guarded::__private::{ClaimOption as _, ClaimValue as _};
                            match (&::guarded::__private::Present(
                                &::guarded::__private::claims(&#guard).#field,
                            ))
                                .present()
                            {
                                ::guarded::__private::Ok(value) => value,
                                ::guarded::__private::Err(e) => {
                                    return #ends.fail(::guarded::__private::challenged(&#guard, e));
                                }
                            }
                        };
                    }
                }
            }
        })
        .collect()
}

/// The validity check (the query that tells a revoked token), when some statement carries
/// the `[token] valid` condition: a closure of the pool's backend that the scope calls only
/// when such a statement found no row; a `Guard<Any>` fn asks in its backend's text.
fn validity(model: &Model) -> Option<TokenStream> {
    let valid = model.valid.as_ref().filter(|_| model.carries_validity())?;
    let query = |dialect: Dialect| {
        let check = valid.validity_check(dialect);
        let sql = &check.sql;
        let binds = check.binds.iter().map(|claim| {
            let local = Names::claim(claim);
            quote!(::core::clone::Clone::clone(&#local))
        });
        quote!(::guarded::__private::sqlx::query(#sql) #(.bind(#binds))*)
    };
    let backend = Ident::new("__guarded_backend", Span::mixed_site());
    match model.backends {
        Backends::One(dialect) => {
            let query = query(dialect);
            Some(quote!(|_: ::guarded::__private::Backend| #query))
        }
        Backends::Every => {
            let arms = [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql].map(|dialect| {
                let variant = Ident::new(model::db_type(Backends::One(dialect)), Span::call_site());
                let query = query(dialect);
                quote!(::guarded::__private::Backend::#variant => #query,)
            });
            Some(quote! {
                |#backend: ::guarded::__private::Backend| match #backend { #(#arms)* }
            })
        }
    }
}

/// What the runtime knows of the fn (`guarded::__private::FnMeta`), as the arguments that
/// open its scope: its name and guarded tables (for tracing), and whether it writes.
fn meta(name: &Ident, model: &Model, writes: bool) -> TokenStream {
    let name = name.to_string();
    let tables: Vec<&str> = model.owners.iter().map(|o| o.table.as_str()).collect();
    let table = tables.join(", ");
    quote!(#name, #table, #writes)
}

/// The fn with its body expanded and run inside the guard's scope.
fn function(item: ItemFn, args: &Args, model: Model) -> TokenStream {
    let ItemFn {
        attrs, vis, sig, ..
    } = item;
    let guard = &model.guard.ident;
    let names = Names::new(guard);
    let shape = check::shape(&model, args.tells_forbidden);
    let meta = meta(&sig.ident, &model, model.writes());
    let track = policy::track(model.policy_file.as_deref());
    let claims = claims(&model, guard, &names.ends, args.span);
    let validity = validity(&model);
    let mut block = model.body;
    // The fn's braces keep the user's span: an item that ends in the macro's span reads as
    // generated, and rustc would then not warn when the fn is never used.
    let braces = block.brace_token.span.join();
    replace::body(
        &mut block,
        model.statements,
        &Replace {
            names: &names,
            shape,
            tells_forbidden: args.tells_forbidden,
        },
    );
    let Names {
        scope,
        subject,
        ends,
        ..
    } = &names;
    let touch = model.guard.mutable.then(|| quote!(let _ = &mut #guard;));
    let (transactional, inline) = match shape {
        Shape::Transaction => (true, false),
        Shape::Single { inline } => (false, inline),
    };
    let Ending {
        ret_span,
        ends_init,
        ty,
    } = ending(&sig, ends);
    // `__guarded_` names are the macro's own; this one carries the return type's span so
    // that rustc reports a wrong return type there (a mixed-site span shows the attribute).
    let out = Ident::new("__guarded_out", ret_span);
    // An inline body is typed by the `let` that takes its value; an `async` block's by a
    // `let` inside it (`Ending::body`), which its `return`s leave.
    let annotation = ty.as_ref().filter(|_| inline).map(|ty| quote!(: #ty));
    let (out_expr, finish) = match (inline, validity) {
        (true, _) => (
            quote!(#block),
            quote_spanned!(ret_span=> #scope.finish_single(#out, #ends)),
        ),
        (false, None) => {
            let body = typed_block(&block, ty.as_ref());
            (
                quote!(async { #body }.await),
                quote_spanned!(ret_span=> #scope.finish(#out, #ends).await),
            )
        }
        (false, Some(validity)) => (
            {
                let body = typed_block(&block, ty.as_ref());
                quote!(async { #body }.await)
            },
            quote_spanned!(ret_span=> #scope.finish_valid(#out, #ends, #validity).await),
        ),
    };

    // A transaction is opened before the body; a single statement acquires its connection
    // from the pool as it runs, like a hand-written one, so the fn awaits nothing extra.
    let scope_init = if transactional {
        quote_spanned! {ret_span=>
            match ::guarded::__private::Scope::begin(&#guard, #meta).await {
                ::guarded::__private::Ok(scope) => scope,
                ::guarded::__private::Err(e) => return #ends.fail(e),
            }
        }
    } else {
        quote!(::guarded::__private::Single::new(&#guard, #meta))
    };
    // A `dialect` given next to a guard whose database the macro could not read (an alias) is
    // confirmed by type: statements written for one database never run on another.
    // The body sees a view of the guard, not the `Guard`: handed on to another guarded fn, a
    // `Guard` would open a second scope that waits on this one's locks (see `GuardRef`).
    let same_db = model.confirm.map(|(dialect, span)| {
        let db = Ident::new(model::db_type(dialect), span);
        // The user's name at the dialect's place: the error sits under the dialect alone.
        let guard = respan(guard, span);
        quote_spanned!(span=> ::guarded::__private::same_db::<::guarded::__private::sqlx::#db, _, _>(&#guard);)
    });
    let body = quote! {
        #ends_init
        #track
        #touch
        #same_db
        let #subject = ::guarded::__private::subject(&#guard);
        #claims
        let mut #scope = #scope_init;
        #[allow(unused_variables, unused_mut)]
        let mut #guard = ::guarded::__private::view(&#guard);
        let #out #annotation = #out_expr;
        #[allow(unreachable_code)]
        #finish
    };
    let mut body = proc_macro2::Group::new(proc_macro2::Delimiter::Brace, body);
    body.set_span(braces);
    quote! {
        #(#attrs)*
        #vis #sig #body
    }
}

/// How the fn's return type enters the expansion.
struct Ending {
    /// Where a wrong return type is reported: the type, or the fn's name when it has none.
    ret_span: Span,
    /// The witness of how the fn ends (`guarded::__private::Ends`), built once.
    ends_init: TokenStream,
    /// The fn's return type, when a `let` can name it (not `impl Trait`).
    ty: Option<TokenStream>,
}

fn ending(sig: &syn::Signature, ends: &Ident) -> Ending {
    // `impl Trait` cannot annotate a let or a turbofish: the tail call then carries the type
    // instead, and the witness is inferred from it.
    let named = match &sig.output {
        ReturnType::Type(_, ty) if !contains_impl(ty) => Some(ty),
        _ => None,
    };
    // Spanned on the return type: a fn that does not return `Result<T, E>` with
    // `E: From<guarded::Error>` is told so under its return type, once: everything else that
    // ends the fn goes through this witness.
    let ret_span = match &sig.output {
        ReturnType::Type(_, ty) => first_span(ty),
        ReturnType::Default => sig.ident.span(),
    };
    let turbofish = named.map(|ty| quote_spanned!(ret_span=> ::<#ty>));
    let ends_init = quote_spanned!(ret_span=> let #ends = ::guarded::__private::ends #turbofish ();
    );
    Ending {
        ret_span,
        ends_init,
        ty: named.map(|ty| quote!(#ty)),
    }
}

/// The user's block as the body of an `async` block, its value typed as the fn's return type
/// `ty` (which the block's `return`s then leave with).
fn typed_block(block: &syn::Block, ty: Option<&TokenStream>) -> TokenStream {
    let ret = format_ident!("__guarded_ret", span = Span::mixed_site());
    let Some(ty) = ty else {
        return quote!(#block);
    };
    quote! {
        let #ret: #ty = #block;
        #[allow(unreachable_code)]
        #ret
    }
}

fn contains_impl(ty: &syn::Type) -> bool {
    struct Finds(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finds {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
        // A type macro's tokens are not parsed: any `impl` in them counts.
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            fn scan(tokens: TokenStream) -> bool {
                tokens.into_iter().any(|tt| match tt {
                    proc_macro2::TokenTree::Ident(i) => i == "impl",
                    proc_macro2::TokenTree::Group(g) => scan(g.stream()),
                    _ => false,
                })
            }
            self.0 |= scan(mac.tokens.clone());
        }
    }
    let mut finds = Finds(false);
    syn::visit::visit_type(&mut finds, ty);
    finds.0
}

/// The span of the first token of `ty`: what `Spanned::span` gives on a stable compiler,
/// without printing the type into tokens to find it.
fn first_span(ty: &syn::Type) -> Span {
    use syn::Type;
    match ty {
        Type::Path(path) if path.qself.is_none() => match &path.path.leading_colon {
            Some(colons) => colons.spans[0],
            None => path
                .path
                .segments
                .first()
                .map_or_else(|| ty.span(), |s| s.ident.span()),
        },
        Type::Reference(reference) => reference.and_token.span,
        Type::Tuple(tuple) => tuple.paren_token.span.join(),
        Type::ImplTrait(bound) => bound.impl_token.span,
        Type::Never(never) => never.bang_token.span,
        _ => ty.span(),
    }
}
