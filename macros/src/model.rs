//! The annotated fn: its guard parameter, its dialect and its return type.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

use crate::args::Args;
use crate::sql::Dialect;

/// The `Guard<DB, C>` parameter of the fn.
pub struct GuardParam {
    pub ident: Ident,
    pub mutable: bool,
}

/// What the expansion needs to know about the fn, besides its body.
pub struct Model {
    pub guard: GuardParam,
    pub dialect: Dialect,
}

/// Reads the fn's signature; every problem found is pushed to `errors`.
pub fn read(item: &ItemFn, args: &Args, errors: &mut Vec<syn::Error>) -> Option<Model> {
    let sig = &item.sig;
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            "#[guarded] fns must be `async fn`: their statements run on a database connection",
        ));
    }
    check_return(&sig.output, sig.ident.span(), errors);
    let Some((guard, ty)) = find_guard(item) else {
        errors.push(syn::Error::new(
            sig.ident.span(),
            "#[guarded] fn needs a guard parameter: add `guard: guarded::Guard<Sqlite>` \
             (or Postgres, MySql) and execute statements on it",
        ));
        return None;
    };
    let Some(dialect) = args.dialect.map(|(d, _)| d).or_else(|| dialect_of(ty)) else {
        errors.push(syn::Error::new(
            ty.span(),
            "cannot tell the database from this type; name it (`Guard<Sqlite>`, \
             `Guard<Postgres>`, `Guard<MySql>`) or add `dialect = \"sqlite\"` \
             (or \"postgres\", \"mysql\") to #[guarded]",
        ));
        return None;
    };
    Some(Model { guard, dialect })
}

/// A denial ends the fn with `Err(From::from(guarded::Error))`, so it must return a Result.
fn check_return(output: &ReturnType, name: Span, errors: &mut Vec<syn::Error>) {
    let is_result = match output {
        ReturnType::Type(_, ty) => last_segment(ty).is_some_and(|s| s.ident == "Result"),
        ReturnType::Default => false,
    };
    if !is_result {
        let span = match output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => name,
        };
        errors.push(syn::Error::new(
            span,
            "#[guarded] fns return `Result<T, E>` with `E: From<guarded::Error>`, \
             so a denied statement can end them",
        ));
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

fn find_guard(item: &ItemFn) -> Option<(GuardParam, &Type)> {
    item.sig.inputs.iter().find_map(|input| {
        let FnArg::Typed(pat_type) = input else {
            return None;
        };
        if last_segment(&pat_type.ty).is_none_or(|s| s.ident != "Guard") {
            return None;
        }
        let Pat::Ident(pat) = &*pat_type.pat else {
            return None;
        };
        let param = GuardParam {
            ident: pat.ident.clone(),
            mutable: pat.mutability.is_some(),
        };
        Some((param, &*pat_type.ty))
    })
}

/// `Guard<Sqlite>`, `Guard<sqlx::Postgres, MyClaims>`, ...: the first type argument's name.
fn dialect_of(ty: &Type) -> Option<Dialect> {
    let PathArguments::AngleBracketed(args) = &last_segment(ty)?.arguments else {
        return None;
    };
    let GenericArgument::Type(db) = args.args.first()? else {
        return None;
    };
    match last_segment(db)?.ident.to_string().as_str() {
        "Sqlite" => Some(Dialect::Sqlite),
        "Postgres" => Some(Dialect::Postgres),
        "MySql" => Some(Dialect::MySql),
        _ => None,
    }
}
