//! Every statement the audit lists, on every backend, is a string literal of the macro's
//! expansion of its fn: the listing shows what runs.

use guarded_macros_core::{Context, expand};

#[test]
fn every_listed_statement_is_in_the_expansion() {
    let mut compared = 0;
    for manifest in [
        crate::manifest("examples/items_api"),
        crate::manifest("examples/conduit"),
        crate::planted(),
    ] {
        let report = crate::report(&manifest);
        let dir = guarded_audit::crate_dir(&manifest).expect("a manifest");
        let items = guarded_audit::guarded_items(&manifest).expect("the sources parse");
        assert_eq!(items.len(), report.guarded.len(), "{}", manifest.display());
        for ((file, found), listed) in items.iter().zip(&report.guarded) {
            assert_eq!(
                (file, &found.item.sig.ident.to_string()),
                (&listed.file, &listed.name)
            );
            let expansion = expand(
                found.attr.clone(),
                found.item.clone().into_token_stream(),
                &Context::crate_dir(&dir).in_file(dir.join(file)),
            )
            .to_string();
            for statement in &listed.statements {
                assert!(
                    !statement.runs.is_empty(),
                    "{}: {}",
                    listed.name,
                    statement.written
                );
                for run in &statement.runs {
                    let literal = proc_macro2::Literal::string(&run.sql).to_string();
                    assert!(
                        expansion.contains(&literal),
                        "{}:{} ({}): the listed text is not in the expansion:\n{}",
                        listed.file,
                        statement.line(),
                        run.backend,
                        run.sql
                    );
                    compared += 1;
                }
            }
        }
    }
    // The examples run statements on three backends each: a run that compared nothing
    // checked nothing.
    assert!(compared > 50, "{compared} statements compared");
}

use quote::ToTokens as _;
