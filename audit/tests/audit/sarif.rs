//! The SARIF output, validated against the official 2.1.0 schema, and checked for what the
//! schema cannot say: a log has `version` "2.1.0" and `runs`; a run has `tool.driver.name`;
//! a result has `message.text`, a `ruleId` its `ruleIndex` points at, a `level` of the
//! schema's enumeration, and locations with a relative `uri` and a `startLine` from 1.

use serde_json::Value;

fn check_log(log: &Value) -> usize {
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["$schema"], guarded_audit::sarif::SCHEMA);
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert!(run["tool"]["driver"]["name"].is_string());
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    for rule in rules {
        assert!(rule["id"].is_string());
    }
    let results = run["results"].as_array().expect("results");
    for result in results {
        assert!(
            result["message"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
        let index = result["ruleIndex"].as_u64().expect("ruleIndex");
        let rule = &rules[usize::try_from(index).expect("an index")];
        assert_eq!(result["ruleId"], rule["id"]);
        let level = result["level"].as_str().expect("level");
        assert!(
            ["none", "note", "warning", "error"].contains(&level),
            "{level}"
        );
        for location in result["locations"].as_array().expect("locations") {
            let physical = &location["physicalLocation"];
            let uri = physical["artifactLocation"]["uri"].as_str().expect("uri");
            assert!(!uri.starts_with('/') && !uri.is_empty(), "{uri}");
            assert!(
                physical["region"]["startLine"]
                    .as_u64()
                    .is_some_and(|l| l >= 1)
            );
        }
        if let Some(suppressions) = result.get("suppressions") {
            for s in suppressions.as_array().expect("suppressions") {
                assert!(["inSource", "external"].contains(&s["kind"].as_str().expect("kind")));
            }
        }
    }
    results.len()
}

#[test]
fn each_unguarded_write_and_refusal_is_a_result_of_a_valid_log() {
    let report = crate::report(&crate::planted());
    let log = guarded_audit::sarif::render(&report);
    let writes = report
        .unguarded
        .iter()
        .filter(|s| s.write != guarded_audit::Write::Reads);
    let refusals: usize = report.guarded.iter().map(|f| f.refusals.len()).sum();
    let own_files: Vec<_> = report
        .guarded
        .iter()
        .filter(|f| f.policy_file.is_some())
        .collect();
    assert_eq!(own_files.len(), 1, "the planted crate's `restore`");
    assert_eq!(
        check_log(&log),
        writes.clone().count() + refusals + own_files.len()
    );
    let results = log["runs"][0]["results"].as_array().expect("results");
    for f in own_files {
        let found = results.iter().find(|r| r["ruleId"] == "policy-override");
        let found = found.unwrap_or_else(|| panic!("`{}` is not a result", f.name));
        assert_eq!(found["level"], "warning");
        assert_eq!(
            found["locations"][0]["physicalLocation"]["region"]["startLine"],
            f.line
        );
    }
    for site in writes {
        let found = results.iter().find(|r| {
            r["ruleId"] == "unguarded-write"
                && r["locations"][0]["physicalLocation"]["region"]["startLine"] == site.line
        });
        let found = found.unwrap_or_else(|| panic!("line {} is not a result", site.line));
        assert_eq!(found.get("suppressions").is_some(), site.allowed.is_some());
    }
}

#[test]
fn the_file_written_by_sarif_is_the_same_log() {
    let path = std::env::temp_dir().join(format!("guarded-audit-{}.sarif", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_guarded-audit"))
        .args(["--quiet", "--sarif"])
        .arg(&path)
        .arg(crate::planted())
        .output()
        .expect("the tool runs");
    let text = std::fs::read_to_string(&path);
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: Value = serde_json::from_str(&text.expect("the file is written")).expect("JSON");
    check_log(&log);
    assert_eq!(
        log,
        guarded_audit::sarif::render(&crate::report(&crate::planted()))
    );
}

/// The official SARIF 2.1.0 JSON schema (OASIS, `sarif-schema-2.1.0.json`, vendored in
/// `tests/sarif-schema-2.1.0.json`), applied to the logs of the planted crate and of both
/// examples: every member, type and enumeration, not only the required ones above. Two
/// `language` patterns of the official file have an unescaped `]`, which ECMAScript reads as
/// a literal and Rust's regex syntax refuses: the copy escapes them, meaning the same.
#[test]
fn every_log_validates_against_the_sarif_2_1_0_schema() {
    let schema: Value = serde_json::from_str(include_str!("../sarif-schema-2.1.0.json"))
        .expect("the schema is JSON");
    let validator = jsonschema::draft7::new(&schema).expect("the schema compiles");
    let crates = [
        crate::planted(),
        crate::manifest("examples/items_api"),
        crate::manifest("examples/conduit"),
    ];
    for manifest in crates {
        let log = guarded_audit::sarif::render(&crate::report(&manifest));
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", manifest.display());
    }
    // The validator sees a broken log: a level outside the enumeration.
    let mut broken = guarded_audit::sarif::render(&crate::report(&crate::planted()));
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&broken));
}
