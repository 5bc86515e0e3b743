//! What the probe found: each finding with its evidence, a summary per check, and the JSON
//! written by `--json`.

use std::fmt::Write as _;

use serde::Serialize;

/// One thing the API did that it must not.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The check that found it: `tokens`, `access`, `mass-assignment`, `revocation`, `races`.
    pub check: &'static str,
    /// What was tried: `"alg none"`, `"a stranger's update"`.
    pub name: String,
    /// The request: `"PUT /items/7"`, with the token it carried.
    pub request: String,
    /// What a sound API answers.
    pub expected: String,
    /// What this one did.
    pub observed: String,
    /// The response (status and the start of the body), or the object as read afterwards.
    pub evidence: String,
}

/// A check as it ran.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Its name, among [`CHECKS`](crate::CHECKS).
    pub check: &'static str,
    /// Attempts made (a broken token, a stranger's request, a race trial).
    pub attempts: usize,
    /// Attempts that found something.
    pub findings: usize,
    /// Why it did not run, when it did not.
    pub skipped: Option<String>,
    /// What it could not judge, and why: "no finding" does not cover it.
    pub inconclusive: Option<String>,
}

/// Everything a run found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The API probed.
    pub base_url: String,
    /// Requests sent.
    pub requests: usize,
    /// How tokens were sent (`Authorization: Token {token}`).
    pub auth: String,
    /// The reads treated as public (no finding for a stranger's or an anonymous read).
    pub public_reads: Vec<String>,
    /// What the route source left out (an OpenAPI resource the probe cannot attack), and why.
    pub notes: Vec<String>,
    /// The objects the probe created and could not delete.
    pub left_behind: Vec<String>,
    /// Every race trial: its requests, answers and verdict.
    pub trials: Vec<serde_json::Value>,
    /// Each check, in the order it ran.
    pub checks: Vec<Summary>,
    /// Everything found.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The table and the findings, for the terminal.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<16} {:>8} {:>9}  note",
            "check", "attempts", "findings"
        );
        for s in &self.checks {
            let note = match (&s.skipped, &s.inconclusive) {
                (Some(why), _) => format!("skipped: {why}"),
                (None, Some(why)) => format!("inconclusive: {why}"),
                (None, None) => String::new(),
            };
            let _ = writeln!(
                out,
                "{:<16} {:>8} {:>9}  {note}",
                s.check, s.attempts, s.findings
            );
        }
        let _ = writeln!(
            out,
            "\n{} finding(s), {} request(s) to {}, tokens as {}",
            self.findings.len(),
            self.requests,
            self.base_url,
            self.auth
        );
        for read in &self.public_reads {
            let _ = writeln!(out, "public read: {read}");
        }
        for note in &self.notes {
            let _ = writeln!(out, "not probed: {note}");
        }
        if !self.left_behind.is_empty() {
            let _ = writeln!(
                out,
                "left behind (could not delete): {}",
                self.left_behind.join(", ")
            );
        }
        for (i, f) in self.findings.iter().enumerate() {
            let _ = writeln!(
                out,
                "\n{}. [{}] {}\n   request:  {}\n   expected: {}\n   observed: {}\n   evidence: {}",
                i + 1,
                f.check,
                f.name,
                f.request,
                f.expected,
                f.observed,
                f.evidence
            );
        }
        out
    }
}
