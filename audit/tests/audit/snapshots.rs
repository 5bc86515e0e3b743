//! The listings of the examples, compared byte for byte with the files in
//! `audit/tests/snapshots/`. After a change to an example's handlers or to the analysis,
//! regenerate them with `GUARDED_AUDIT_BLESS=1 cargo test -p guarded-audit --test audit`
//! and review the diff.

use std::path::Path;

fn check(example: &str) {
    let text = guarded_audit::text::render(&crate::report(&crate::manifest(example)));
    let name = Path::new(example)
        .file_name()
        .expect("a name")
        .to_string_lossy();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/snapshots/{name}.txt"));
    if std::env::var_os("GUARDED_AUDIT_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &text).expect("the snapshot is written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with GUARDED_AUDIT_BLESS=1",
            path.display()
        )
    });
    if text != expected {
        let line = text
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| text.lines().count().min(expected.lines().count()));
        panic!(
            "the listing of {example} differs from {} at line {}:\n  now:      {:?}\n  snapshot: {:?}\n\
             regenerate with GUARDED_AUDIT_BLESS=1 if the change is intended",
            path.display(),
            line + 1,
            text.lines().nth(line),
            expected.lines().nth(line),
        );
    }
}

#[test]
fn items_api_listing_matches_its_snapshot() {
    check("examples/items_api");
}

#[test]
fn conduit_listing_matches_its_snapshot() {
    check("examples/conduit");
}

#[test]
fn the_examples_have_no_unguarded_write_left_unreviewed() {
    for example in ["examples/items_api", "examples/conduit"] {
        let report = crate::report(&crate::manifest(example));
        assert!(!report.guarded.is_empty(), "{example}: no guarded fn read");
        let denied: Vec<_> = report.denied().map(|s| (&s.file, s.line)).collect();
        assert!(denied.is_empty(), "{example}: {denied:?}");
        let refused: Vec<_> = report
            .guarded
            .iter()
            .filter(|f| !f.refusals.is_empty())
            .collect();
        assert!(refused.is_empty(), "{example}: {refused:?}");
    }
}
