//! The fail-closed rules for one statement site, given what the SQL analysis found.

use syn::{Expr, Ident};

use crate::sites::{Chain, Root};
use crate::sql::Analysis;

/// Whether an executor argument is the guard: `&mut guard`, `&guard`, `guard`, `&mut *guard`.
pub fn is_guard(expr: &Expr, guard: &Ident) -> bool {
    match expr {
        Expr::Reference(r) => is_guard(&r.expr, guard),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => is_guard(&u.expr, guard),
        Expr::Paren(p) => is_guard(&p.expr, guard),
        Expr::Group(g) => is_guard(&g.expr, guard),
        Expr::Path(p) => p.qself.is_none() && p.path.is_ident(guard),
        _ => false,
    }
}

/// Statements the guard must run: they read the guarded table or write anything.
pub fn needs_guard(analysis: &Analysis) -> bool {
    analysis.guarded || analysis.writes
}

/// A whole chain executed on `executor`.
pub fn chain(chain: &Chain, analysis: &Analysis, on_guard: bool) -> Result<(), syn::Error> {
    fetches_rows(chain, analysis)?;
    let executor = &chain.exec.args[0];
    if !on_guard {
        if needs_guard(analysis) {
            return Err(syn::Error::new_spanned(
                executor,
                format!(
                    "this statement {}; execute it on the guard: `.{}(&mut guard)`",
                    what(analysis),
                    chain.exec.name
                ),
            ));
        }
        return Ok(());
    }
    let given = match &chain.root {
        Root::Call { .. } => chain.methods.iter().filter(|m| m.is_bind()).count(),
        Root::Macro { args, .. } => args.len(),
    };
    if given != analysis.user_params {
        return Err(syn::Error::new(
            chain.root.sql().span(),
            format!(
                "this statement has {} placeholder(s) but {} value(s) are bound; the guard \
                 inserts the subject among them and needs every bind in this chain",
                analysis.user_params, given
            ),
        ));
    }
    if analysis.zero_rows_denies && chain.exec.name == "fetch" {
        return Err(syn::Error::new(
            chain.exec.name.span(),
            "a guarded UPDATE/DELETE must be run with `execute`, `fetch_one`, `fetch_optional` \
             or `fetch_all`, so that zero rows can end the fn with a denial",
        ));
    }
    Ok(())
}

/// Fetching rows of a statement that yields none always sees zero rows: a guarded mutation
/// would then be denied although it ran, and anything else is a mistake.
fn fetches_rows(chain: &Chain, analysis: &Analysis) -> Result<(), syn::Error> {
    let method = &chain.exec.name;
    if method == "execute" || analysis.returns_rows {
        return Ok(());
    }
    Err(syn::Error::new(
        method.span(),
        format!(
            "this statement yields no rows, so `.{method}` would never see one; add a \
             RETURNING clause to fetch what it changed, or run it with `.execute(..)`"
        ),
    ))
}

/// A statement built but not executed in the same expression.
pub fn detached(root: &Root, analysis: &Analysis) -> Result<(), syn::Error> {
    if needs_guard(analysis) {
        return Err(syn::Error::new(
            root.sql().span(),
            format!(
                "this statement {}; build and run it in one expression on the guard, e.g. \
                 `sqlx::query(\"...\").bind(..).execute(&mut guard)`, so the guard can bind \
                 the subject and decide zero rows",
                what(analysis)
            ),
        ));
    }
    Ok(())
}

pub fn what(analysis: &Analysis) -> &'static str {
    if analysis.guarded {
        "touches the guarded table"
    } else {
        "writes"
    }
}
