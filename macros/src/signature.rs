//! The fn's signature: its guard parameter and its dialect, or that it is a `Guard<DynamoDb>`.
//!
//! The return type is not read: the expansion ends the fn with `Result<T, E>` and
//! `E: From<guarded::Error>`, which the type system checks through any alias.

use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, ItemFn, Pat, PathArguments, Type};

use crate::args::Args;
use crate::backend::{Backends, Dialect};
use crate::ctxt::Ctxt;
use crate::model::{GuardParam, db_type};

/// A database named apart from the guard's type, and where to confirm it by type.
type Named = (Backends, proc_macro2::Span);

/// The guard parameter and the dialect; every problem found is reported to `cx`.
/// `file` is the policy file's `[database] dialect`, for a guard whose type does not say.
/// Returns the database and, when it was named apart from the type, where to confirm it.
pub fn read(
    item: &ItemFn,
    args: &Args,
    file: Option<Backends>,
    cx: &Ctxt,
) -> Option<(GuardParam, Backends, Option<Named>)> {
    asynchronous(
        &item.sig,
        "their statements run on a database connection",
        cx,
    );
    let (guard, ty) = find_guard(item, args, cx)?;
    let from_type = dialect_of(ty);
    let dialect = match (args.dialect, from_type) {
        (Some((given, span)), Some(typed)) if given != typed => {
            cx.push(syn::Error::new(
                span,
                format!(
                    "this dialect is not the guard's database ({}); remove `dialect`, the \
                     guard's type already says it",
                    db_type(typed)
                ),
            ));
            return None;
        }
        (Some(given), _) => return Some((guard, given.0, Some(given))),
        (None, Some(typed)) => typed,
        (None, None) => {
            if let Some(dialect) = file {
                return Some((guard, dialect, Some((dialect, ty.span()))));
            }
            cx.push(syn::Error::new(
                ty.span(),
                "cannot tell the database from this type; name it (`Guard<Sqlite>`, \
                 `Guard<Postgres>`, `Guard<MySql>`, `Guard<Any>`), add `dialect = \
                 \"sqlite\"` (or \"postgres\", \"mysql\", \"any\") to #[guarded], or name \
                 the crate's database once in guarded.toml: [database] dialect = \
                 \"postgres\"",
            ));
            return None;
        }
    };
    Some((guard, dialect, None))
}

/// Whether the guard is a `Guard<DynamoDb>` (or `Guard<guarded::DynamoDb, MyClaims>`): such a
/// fn is expanded by `dynamo`. A guard that cannot be found is not one; `read` then says why.
pub fn is_dynamo(item: &ItemFn, args: &Args) -> bool {
    // Only the answer is wanted here: the stage that reads the guard reports its problems.
    let quiet = Ctxt::new();
    let found = find_guard(item, args, &quiet)
        .is_some_and(|(_, ty)| database(ty).is_some_and(|db| db == "DynamoDb"));
    let _ = quiet.check();
    found
}

/// The guard parameter of a `Guard<DynamoDb>` fn; every problem found is reported to `cx`.
pub fn read_dynamo(item: &ItemFn, args: &Args, cx: &Ctxt) -> Option<GuardParam> {
    asynchronous(&item.sig, "their requests are sent with `.await`", cx);
    find_guard(item, args, cx).map(|(guard, _)| guard)
}

fn asynchronous(sig: &syn::Signature, why: &str, cx: &Ctxt) {
    if sig.asyncness.is_none() {
        cx.push(syn::Error::new(
            sig.fn_token.span,
            format!("#[guarded] fns must be `async fn`: {why}"),
        ));
    }
}

/// A type as written, through the invisible groups of a `macro_rules!` `$t:ty` and
/// parentheses.
fn unwrap(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => unwrap(&g.elem),
        Type::Paren(p) => unwrap(&p.elem),
        _ => ty,
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match unwrap(ty) {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// The guard's binding: `guard`, `mut guard`, or the first field of a wrapper's tuple pattern,
/// `WithRejection(mut guard, _)`.
fn param(pat_type: &syn::PatType) -> Option<GuardParam> {
    let mut pat = &*pat_type.pat;
    loop {
        match pat {
            Pat::Paren(p) => pat = &p.pat,
            Pat::TupleStruct(t)
                if t.path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "WithRejection") =>
            {
                pat = t.elems.first()?;
            }
            Pat::Ident(pat) if pat.subpat.is_none() => {
                return Some(GuardParam {
                    ident: pat.ident.clone(),
                    mutable: pat.mutability.is_some(),
                });
            }
            _ => return None,
        }
    }
}

/// The `Guard<..>` inside an extractor wrapper that only changes the rejection, axum-extra's
/// `WithRejection<Guard<..>, AppError>`.
fn wrapped(ty: &Type) -> Option<&Type> {
    let segment = last_segment(ty).filter(|s| s.ident == "WithRejection")?;
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) if is_guard(inner) => Some(inner),
        _ => None,
    }
}

fn is_guard(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == "Guard")
}

/// `Option<Guard<..>>`: optional sign-in, which a guarded fn does not take.
fn optional_guard(ty: &Type) -> bool {
    let Some(segment) = last_segment(ty).filter(|s| s.ident == "Option") else {
        return false;
    };
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return false;
    };
    matches!(args.args.first(), Some(GenericArgument::Type(inner)) if guard_type(inner).is_some())
}

/// The guard's own type: the parameter's, or the one its wrapper holds.
fn guard_type(ty: &Type) -> Option<&Type> {
    if is_guard(ty) { Some(ty) } else { wrapped(ty) }
}

/// The parameter named by `guard = "..."`, or else the one whose type is `Guard<..>`.
fn find_guard<'a>(item: &'a ItemFn, args: &Args, cx: &Ctxt) -> Option<(GuardParam, &'a Type)> {
    let typed = item.sig.inputs.iter().filter_map(|input| match input {
        FnArg::Typed(pat_type) => Some(pat_type),
        FnArg::Receiver(_) => None,
    });
    if let Some(wanted) = &args.guard {
        let found = typed
            .filter_map(|p| Some((param(p)?, wrapped(&p.ty).unwrap_or(&p.ty))))
            .find(|(param, _)| param.ident == wanted.value().as_str());
        if found.is_none() {
            cx.push(syn::Error::new(
                wanted.span(),
                format!(
                    "no parameter named `{}`; name the guard parameter, written as \
                     `{}: guarded::Guard<Sqlite>` or an alias of it",
                    wanted.value(),
                    wanted.value()
                ),
            ));
        }
        return found;
    }
    let mut guards = typed.filter_map(|p| Some((p, guard_type(&p.ty)?)));
    let first = guards.next();
    let found = first.and_then(|(p, ty)| Some((param(p)?, ty)));
    if let (Some((p, _)), None) = (first, &found) {
        cx.push(syn::Error::new_spanned(
            &p.pat,
            "bind the guard to a name: `mut guard: Guard<..>`, or \
             `WithRejection(mut guard, _): WithRejection<Guard<..>, AppError>`",
        ));
        return None;
    }
    // A second guard could be handed on to another guarded fn, whose statements would wait
    // on this fn's locks.
    for (extra, _) in guards {
        cx.push(syn::Error::new_spanned(
            &extra.ty,
            "a #[guarded] fn takes one guard; read the subject and claims from the first",
        ));
    }
    let optional = item.sig.inputs.iter().find_map(|input| match input {
        FnArg::Typed(p) if optional_guard(&p.ty) => Some(&p.ty),
        _ => None,
    });
    if let (None, Some(ty)) = (&found, optional) {
        cx.push(syn::Error::new_spanned(
            ty,
            "a #[guarded] fn runs its statements for a principal, so it takes the `Guard` \
             itself: take `Option<Guard<..>>` in the handler, hand `Some(guard)` to this fn, \
             and serve `None` with reads that need no principal",
        ));
        return None;
    }
    if found.is_none() {
        cx.push(syn::Error::new(
            item.sig.ident.span(),
            "#[guarded] fn needs a guard parameter: add `guard: guarded::Guard<Sqlite>` \
             (or Postgres, MySql) and execute statements on it; for a `Guard` behind a type \
             alias, name the parameter with `guard = \"...\"` in #[guarded]",
        ));
    }
    found
}

/// `Guard<Sqlite>`, `Guard<sqlx::Postgres, MyClaims>`, ...: the first type argument's name.
fn database(ty: &Type) -> Option<&syn::Ident> {
    let PathArguments::AngleBracketed(args) = &last_segment(ty)?.arguments else {
        return None;
    };
    let GenericArgument::Type(db) = args.args.first()? else {
        return None;
    };
    Some(&last_segment(db)?.ident)
}

/// The backends a guard's database type names.
fn dialect_of(ty: &Type) -> Option<Backends> {
    match database(ty)?.to_string().as_str() {
        "Sqlite" => Some(Backends::One(Dialect::Sqlite)),
        "Postgres" => Some(Backends::One(Dialect::Postgres)),
        "MySql" => Some(Backends::One(Dialect::MySql)),
        "Any" => Some(Backends::Every),
        _ => None,
    }
}
