//! SARIF 2.1.0 (OASIS): each unguarded write a result (`unguarded-write`, an error; one a
//! reviewer accepted carries the reason as an external suppression), each fn the macro
//! refuses a result (`refused`), each fn reading a policy file of its own a warning
//! (`policy-override`). Code-scanning services read it as they read a linter's.

use serde_json::{Value, json};

use crate::report::{Report, Write};

/// The schema URI SARIF 2.1.0 files name.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The report as a SARIF log; paths relative to the crate (`uriBaseId` `%SRCROOT%`).
pub fn render(report: &Report) -> Value {
    let mut results = Vec::new();
    for s in report.unguarded.iter().filter(|s| s.write != Write::Reads) {
        let what = if s.write == Write::Writes {
            "writes"
        } else {
            "may write (the audit cannot tell what its SQL does)"
        };
        let sql = s
            .sql
            .as_deref()
            .map(|q| format!(": {q}"))
            .unwrap_or_default();
        let mut result = json!({
            "ruleId": "unguarded-write",
            "ruleIndex": 0,
            "level": "error",
            "message": {
                "text": format!("`{}` {} without #[guarded] ({}){sql}", s.in_fn, what, s.what),
            },
            "locations": [location(&s.file, s.line)],
        });
        if let Some(reason) = &s.allowed {
            result["suppressions"] = json!([{ "kind": "external", "justification": reason }]);
        }
        results.push(result);
    }
    for f in &report.guarded {
        for r in &f.refusals {
            results.push(json!({
                "ruleId": "refused",
                "ruleIndex": 1,
                "level": "error",
                "message": { "text": format!("#[guarded] refuses `{}`: {}", f.name, r.message) },
                "locations": [location(&f.file, r.line)],
            }));
        }
    }
    for f in &report.guarded {
        if let Some(file) = &f.policy_file {
            results.push(json!({
                "ruleId": "policy-override",
                "ruleIndex": 2,
                "level": "warning",
                "message": {
                    "text": format!(
                        "`{}` reads the policy file `{file}` in place of the crate's: its tables' \
                         owners, grants, conditions and scopes are that file's",
                        f.name
                    ),
                },
                "locations": [location(&f.file, f.line)],
            }));
        }
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "guarded-audit",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": [
                        {
                            "id": "unguarded-write",
                            "shortDescription": { "text": "SQL that writes outside a #[guarded] fn" },
                            "defaultConfiguration": { "level": "error" },
                        },
                        {
                            "id": "refused",
                            "shortDescription": { "text": "A #[guarded] fn the macro refuses" },
                            "defaultConfiguration": { "level": "error" },
                        },
                        {
                            "id": "policy-override",
                            "shortDescription": { "text": "A #[guarded] fn that reads a policy file of its own" },
                            "defaultConfiguration": { "level": "warning" },
                        },
                    ],
                },
            },
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "the crate's directory" } } },
            "results": results,
        }],
    })
}

fn location(file: &str, line: usize) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": file, "uriBaseId": "%SRCROOT%" },
            "region": { "startLine": line.max(1) },
        },
    })
}
