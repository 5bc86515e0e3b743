//! The fail-closed rules: for one statement, given what the SQL analysis found, and for the
//! whole fn, the shape its expansion takes.

use crate::ctxt::Ctxt;
use crate::exec::Exec;
use crate::model::{Model, Statement};
use crate::sites::{Chain, Root};
use crate::sql::{Analyses, Analysis};

/// Statements the guard must run: they read the guarded table or write anything.
pub fn needs_guard(analysis: &Analysis) -> bool {
    analysis.guarded || analysis.writes
}

/// `deny = 403` on a fn none of whose statements can deny: a guarded write that matches no
/// row is what it tells apart; a read answers what it finds.
pub fn deniable(lifted: &[Statement], deny: Option<proc_macro2::Span>, cx: &Ctxt) {
    let Some(span) = deny else { return };
    let denies = lifted
        .iter()
        .any(|s| s.on_guard && s.site.analyses.facts().zero_rows_denies);
    if !denies {
        cx.push(syn::Error::new(
            span,
            "`deny = 403` tells \"not yours\" from \"not there\" when a guarded UPDATE, \
             DELETE or upsert matches no row; this fn runs none, so there is nothing to tell: \
             remove it",
        ));
    }
}

/// The statement rules over the statements the walk lifted, each error to `cx`;
/// `tells_forbidden` under `deny = 403`.
pub fn statements(lifted: &[Statement], tells_forbidden: bool, cx: &Ctxt) {
    // Last first: an error inserted among the walk's does not move the marks of the earlier.
    for lifted in lifted.iter().rev().filter(|s| !s.refused) {
        let syn::Expr::MethodCall(call) = &lifted.expr else {
            unreachable!("a lifted statement is a method call")
        };
        let Some(Ok(chain)) = Chain::of(call) else {
            unreachable!("a lifted statement is a chain")
        };
        if let (true, Some(span)) = (lifted.on_guard, lifted.moved) {
            // The fn ends its scope after the body; a block or closure that took it could
            // not give it back.
            cx.insert(
                lifted.errors_before,
                syn::Error::new(
                    span,
                    "a statement on the guard cannot run inside a `move` closure or block: the \
                 guard stays with the fn; drop `move` (capture values by reference) or run \
                 the statement outside it",
                ),
            );
            continue;
        }
        let each = &lifted.site.analyses;
        if let Err(e) = statement(&chain, each, lifted.on_guard, tells_forbidden) {
            cx.insert(lifted.errors_before, e);
        }
    }
}

/// A whole chain run on its executor; `on_guard` when that is the guard, `tells_forbidden`
/// under `deny = 403`.
pub fn statement(
    chain: &Chain,
    each: &Analyses,
    on_guard: bool,
    tells_forbidden: bool,
) -> Result<(), syn::Error> {
    let analysis = each.facts();
    fetches_rows(chain, analysis)?;
    if let (Some(marker), false) = (&chain.idempotent, on_guard) {
        return Err(syn::Error::new(
            marker.name.span(),
            "`.idempotent()` lets a guarded write match no row; this statement does not run \
             on the guard",
        ));
    }
    if !on_guard {
        if needs_guard(analysis) {
            return Err(syn::Error::new_spanned(
                chain.executor(),
                format!(
                    "this statement {}; execute it on the guard: `.{}(&mut guard)`",
                    what(analysis),
                    chain.exec.name()
                ),
            ));
        }
        return Ok(());
    }
    if let (Root::Macro { name, .. }, true) = (&chain.root, each.each().len() > 1) {
        return Err(syn::Error::new(
            name.span(),
            format!(
                "`{name}!` checks its statement against one database, and this fn runs on \
                 every backend (`Guard<Any>`); write `sqlx::{}(\"...\")` with `.bind(..)`",
                name.to_string().trim_end_matches("_unchecked")
            ),
        ));
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
    zero_rows(chain, analysis)?;
    if tells_forbidden {
        forbidden(chain, analysis)?;
    }
    if analysis.rows > 1
        && chain.idempotent.is_none()
        && matches!(chain.exec, Exec::FetchOne | Exec::FetchOptional)
    {
        return Err(syn::Error::new(
            chain.run.name.span(),
            format!(
                "this upsert writes {} rows, each inserted or updated unless it meets another \
                 owner's; `.{}` sees one row and could not tell; run it with `execute` or \
                 `fetch_all`",
                analysis.rows,
                chain.exec.name()
            ),
        ));
    }
    if analysis.zero_rows_denies && chain.idempotent.is_none() && chain.exec.kind().is_none() {
        return Err(syn::Error::new(
            chain.run.name.span(),
            "a guarded UPDATE/DELETE must be run with `execute`, `fetch_one`, `fetch_optional` \
             or `fetch_all`, so that zero rows can end the fn with a denial",
        ));
    }
    Ok(())
}

/// The zero-rows rule, per statement: an UPDATE/DELETE of the guarded table that matches no
/// row is a denial, unless the statement says `.idempotent()`; one whose rows the statement's
/// result does not count (inside a CTE) must say so, since it could not deny.
fn zero_rows(chain: &Chain, analysis: &Analysis) -> Result<(), syn::Error> {
    let deniable = analysis.zero_rows_denies || analysis.nested_write;
    match &chain.idempotent {
        Some(marker) if !marker.args.is_empty() => Err(syn::Error::new_spanned(
            &marker.args,
            "`.idempotent()` takes no arguments",
        )),
        Some(marker) if !deniable => Err(syn::Error::new(
            marker.name.span(),
            "this statement updates or deletes no row of the guarded table, so there is no \
             zero-rows denial to waive; remove `.idempotent()`",
        )),
        None if analysis.nested_write => Err(syn::Error::new(
            chain.root.sql().span(),
            "this statement updates or deletes the guarded table inside a CTE, whose rows the \
             statement's result does not count, so matching no row could not end the fn with \
             a denial; make that write the statement's body (`WITH ... DELETE FROM ...`), or \
             add `.idempotent()` before the executor call if matching no row is fine",
        )),
        _ => Ok(()),
    }
}

/// Fetching rows of a statement that yields none always sees zero rows: a guarded mutation
/// would then be denied although it ran, and anything else is a mistake.
fn fetches_rows(chain: &Chain, analysis: &Analysis) -> Result<(), syn::Error> {
    if chain.exec == Exec::Execute || analysis.returns_rows {
        return Ok(());
    }
    let method = &chain.run.name;
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

/// How a guarded fn runs, decided once for the whole fn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One statement, run once, on the pool like a hand-written one: no transaction.
    /// `inline` when the body runs in the fn itself, its `return`s rewritten to end through
    /// the scope (see `replace.rs`).
    Single { inline: bool },
    /// Everything else: one transaction, committed at the end.
    Transaction,
}

/// The shape of `model`'s expansion; `tells_forbidden` for `deny = 403`, whose existence
/// check must run in the transaction of the denied statement.
pub fn shape(model: &Model, tells_forbidden: bool) -> Shape {
    let on_guard: Vec<_> = model.on_guard().collect();
    // An upsert of several rows may write some and meet another owner's with the next: its
    // denial must undo the rows it wrote, so it runs in a transaction.
    let several_rows = on_guard.iter().any(|s| s.analyses.facts().rows > 1);
    if on_guard.len() > 1 || on_guard.iter().any(|s| s.repeated) || tells_forbidden || several_rows
    {
        return Shape::Transaction;
    }
    // A `return` inside a statement's values would run while the statement holds the scope,
    // and one inside another macro cannot be rewritten: those bodies keep an `async` block.
    // A fn under `[token] valid`, or whose statement a named condition or a version may
    // refuse, may ask the database after its statement, so it ends in an `async` block too.
    // (On the pool, right after the statement: a transaction would cost every call that
    // succeeds a BEGIN and a COMMIT, to classify the calls that fail.)
    let conflicts = on_guard
        .iter()
        .any(|s| !s.analyses.facts().conflicts.is_empty());
    let inline = !model.hidden_return
        && !on_guard.iter().any(|s| s.returns)
        && !model.carries_validity()
        && !conflicts;
    Shape::Single { inline }
}

/// What `deny = 403` needs of a statement: an existence check that tells no more than that
/// a row with the key exists, in the caller's scope.
fn forbidden(chain: &Chain, analysis: &Analysis) -> Result<(), syn::Error> {
    if analysis.zero_rows_denies && chain.idempotent.is_none() && analysis.existence_check.is_none()
    {
        return Err(syn::Error::new(
            chain.root.sql().span(),
            "`deny = 403` cannot tell this statement's denial from a missing row: it writes \
             through a join or a FROM/USING list, after a WITH that writes, or upserts from a \
             SELECT; write it on the one table, or drop `deny = 403` (the default answers 404 \
             either way)",
        ));
    }
    if analysis.zero_rows_denies
        && chain.idempotent.is_none()
        && analysis.existence_check.as_ref().is_some_and(|c| !c.lookup)
    {
        return Err(syn::Error::new(
            chain.root.sql().span(),
            "`deny = 403` answers whether a row matching this WHERE exists, whoever owns it: a \
             condition other than columns equal to values would tell what another owner's row \
             holds; look the row up by its key alone (`WHERE id = $1`), or drop `deny = 403`",
        ));
    }
    if analysis.zero_rows_denies
        && chain.idempotent.is_none()
        && analysis.existence_check.as_ref().is_some_and(|c| c.scoped)
    {
        return Err(syn::Error::new(
            chain.root.sql().span(),
            "`deny = 403` would tell that a row exists outside the caller's scope (another \
             tenant's): the table has a `scope` in the policy file; drop `deny = 403` (the \
             default answers 404 either way)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proc_macro2::Span;
    use quote::ToTokens;

    use crate::backend::{Backends, Dialect};
    use crate::ctxt::Ctxt;
    use crate::model::{Env, hole_index};
    use crate::policy::Owner;
    use crate::sql::Policy;

    /// The walk lifts every statement and leaves a hole; the statement rules then run on what
    /// it lifted, without the body.
    #[test]
    fn the_rules_run_on_the_lifted_statements() {
        let mut block: syn::Block = syn::parse_str(
            r#"{
                sqlx::query("DELETE FROM items WHERE id = ?").bind(1).execute(&mut guard).await?;
                sqlx::query("SELECT title FROM items").fetch_all(&pool).await?;
                Ok(())
            }"#,
        )
        .expect("block");
        let guard = syn::Ident::new("guard", Span::call_site());
        let owners = [Owner::new("items", "owner_id")];
        let env = Env {
            guard: &guard,
            backends: Backends::One(Dialect::Sqlite),
            policy: Policy {
                owners: &owners,
                unguarded: &[],
                valid: None,
            },
            cache: None,
        };
        let cx = Ctxt::new();
        let walked = crate::body::walk(&mut block, &env, &cx);
        assert_eq!(walked.statements.len(), 2);
        assert!(walked.statements[0].on_guard && !walked.statements[1].on_guard);
        let body = block.to_token_stream().to_string();
        assert!(!body.contains("sqlx"), "{body}");
        assert_eq!(body.matches("__guarded_hole").count(), 2, "{body}");
        let lifted = &walked.statements[1].expr;
        assert!(hole_index(lifted).is_none());
        super::statements(&walked.statements, false, &cx);
        let errors = cx.check().expect_err("the read on the pool");
        let messages: Vec<String> = errors.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].contains("execute it on the guard"),
            "{messages:?}"
        );
    }
}
