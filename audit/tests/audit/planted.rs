//! The fixture crate `tests/planted`: every place marked `planted:` must be listed at its line.

use guarded_audit::Write;

/// The line of the fixture holding `marker`.
fn line_of(marker: &str) -> usize {
    let text = std::fs::read_to_string(crate::planted().with_file_name("src/lib.rs"))
        .expect("the fixture");
    text.lines()
        .position(|l| l.contains(marker))
        .map_or_else(|| panic!("no `{marker}` in the fixture"), |i| i + 1)
}

#[test]
fn every_planted_place_is_listed_at_its_line() {
    let report = crate::report(&crate::planted());
    let cases = [
        (
            "planted: pool-in-handler",
            "create_unguarded",
            Write::Writes,
        ),
        ("planted: spawned", "touch", Write::Writes),
        ("planted: helper-macro", "bump", Write::Writes),
        ("planted: raw-sql", "wipe", Write::Writes),
        ("planted: dynamic", "run", Write::Unknown),
        ("planted: read", "stats", Write::Reads),
        ("planted: allowed", "migrate", Write::Writes),
        ("planted: copy", "import", Write::Writes),
    ];
    for (marker, in_fn, write) in cases {
        let line = line_of(marker);
        let site = report
            .unguarded
            .iter()
            .find(|s| s.file == "src/lib.rs" && s.line == line)
            .unwrap_or_else(|| panic!("`{marker}` (line {line}) is not listed"));
        assert_eq!(
            (site.in_fn.as_str(), site.write),
            (in_fn, write),
            "{marker}"
        );
    }
    assert_eq!(
        report.unguarded.len(),
        cases.len(),
        "{:#?}",
        report.unguarded
    );
    let denied: Vec<&str> = report.denied().map(|s| s.in_fn.as_str()).collect();
    assert_eq!(
        denied,
        ["create_unguarded", "touch", "bump", "wipe", "run", "import"]
    );
    let allowed = report
        .unguarded
        .iter()
        .find(|s| s.in_fn == "migrate")
        .expect("listed");
    assert_eq!(
        allowed.allowed.as_deref(),
        Some("creates the tables at start-up")
    );
}

#[test]
fn handlers_without_a_guard_are_listed_with_their_routes() {
    let report = crate::report(&crate::planted());
    let handlers: Vec<(&str, usize, Vec<&str>)> = report
        .unguarded_handlers
        .iter()
        .map(|h| {
            (
                h.name.as_str(),
                h.line,
                h.routes.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        handlers,
        [
            (
                "create_unguarded",
                line_of("async fn create_unguarded"),
                vec!["POST /notes"]
            ),
            (
                "touch",
                line_of("async fn touch"),
                vec!["POST /notes/{id}/touch"]
            ),
            ("stats", line_of("async fn stats"), vec!["GET /admin/stats"]),
        ]
    );
}

#[test]
fn guarded_fns_carry_routes_deny_idempotence_and_refusals() {
    let report = crate::report(&crate::planted());
    let find = |name: &str| report.guarded.iter().find(|f| f.name == name).expect(name);
    let rename = find("rename");
    assert_eq!(rename.routes, ["PUT /notes/{id}"]);
    assert_eq!(
        (rename.line, rename.deny),
        (line_of("async fn rename"), 404)
    );
    assert_eq!(rename.tables[0].version.as_deref(), Some("version"));
    assert_eq!(rename.tables[0].grants[0].0, "read");
    let remove = find("remove");
    assert_eq!(
        (remove.routes.as_slice(), remove.deny),
        (&["DELETE /notes/{id}".to_owned()][..], 403)
    );
    assert!(remove.statements[0].idempotent && remove.statements[0].writes);
    assert_eq!(remove.backends, ["SQLite"]);
    assert_eq!(rename.policy_file, None);
    let restore = find("restore");
    assert_eq!(restore.policy_file.as_deref(), Some("src/archive.toml"));
    assert_eq!(restore.tables[0].grants[0].0, "update");
    let text = guarded_audit::text::render(&report);
    assert!(
        text.contains("POLICY FILE OF ITS OWN: src/archive.toml"),
        "{text}"
    );
    let refused = find("refused");
    assert!(refused.statements.is_empty());
    assert_eq!(refused.refusals.len(), 1, "{:?}", refused.refusals);
    assert!(
        refused.refusals[0]
            .message
            .contains("must be a string literal")
    );
    assert_eq!(refused.refusals[0].line, line_of("sqlx::query(&sql)"));
}

#[test]
fn deny_unguarded_exits_1_on_an_unreviewed_write_and_0_without() {
    let run = |manifest: std::path::PathBuf| {
        std::process::Command::new(env!("CARGO_BIN_EXE_guarded-audit"))
            .args(["--deny-unguarded", "--quiet"])
            .arg(manifest)
            .output()
            .expect("the tool runs")
    };
    let planted = run(crate::planted());
    assert_eq!(planted.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&planted.stderr);
    assert!(
        stderr.contains(&format!("src/lib.rs:{}", line_of("planted: raw-sql"))),
        "{stderr}"
    );
    for example in ["examples/items_api", "examples/conduit"] {
        let out = run(crate::manifest(example));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn json_holds_the_same_report() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_guarded-audit"))
        .args(["--json", "--quiet"])
        .arg(crate::planted())
        .output()
        .expect("the tool runs");
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let report = crate::report(&crate::planted());
    assert_eq!(
        json,
        serde_json::to_value(&report).expect("a report serializes")
    );
    assert_eq!(json["guarded"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        json["unguarded"][0]["line"],
        line_of("planted: pool-in-handler")
    );
}
