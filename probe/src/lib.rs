//! `guarded-probe`: a black-box check of a running HTTP API, in any language, for what
//! `#[guarded]` rules out at compile time in a Rust crate: broken object-level authorization,
//! token weaknesses, and check-then-act races.
//!
//! The probe creates objects as a first user and attacks them as a second (and with broken
//! tokens of the first), then checks each object through the owner's own read: a refusal
//! must also have changed nothing. [`run`] is the whole probe; the binary parses its command
//! line into a [`Config`] and prints the [`Report`].

mod checks;
mod client;
pub mod openapi;
pub mod report;
pub mod routes;
pub mod tokens;
pub mod users;

use std::time::Duration;

pub use report::{Finding, Report, Summary};
pub use routes::Routes;
pub use tokens::Tokens;

/// The checks, by name.
pub const CHECKS: &[&str] = &["tokens", "access", "mass-assignment", "revocation", "races"];

/// Trials per ownership race by default: a race that one trial in twenty loses (5 %) is seen
/// with probability 1 - 0.95^90 > 0.99.
pub const RACE_PAIRS: usize = 90;

/// One run of the probe.
#[derive(Debug, Clone)]
pub struct Config {
    /// The API's base URL: every request goes to it, and nowhere else.
    pub base_url: String,
    /// The requests to attack with.
    pub routes: Routes,
    /// How the users' tokens are had.
    pub tokens: Tokens,
    /// The API's public key (PEM), when it verifies RS or ES tokens: the probe signs an
    /// HS256 token with it, the algorithm-confusion attack.
    pub public_key: Option<Vec<u8>>,
    /// The owner of the objects, and the stranger who attacks them: each a name, or
    /// `name:key=value,...` with the attributes their claims, login and owner value use.
    pub users: (String, String),
    /// The checks to run, among [`CHECKS`].
    pub checks: Vec<String>,
    /// Trials per ownership race ([`RACE_PAIRS`] by default on the command line).
    pub race_pairs: usize,
    /// Races run at most this many pairs at once.
    pub concurrency: usize,
    /// No more requests than this.
    pub max_requests: usize,
    /// No request after this long.
    pub time: Duration,
}

/// Why the probe could not finish.
#[derive(Debug)]
pub enum ProbeError {
    /// The configuration cannot be probed with.
    Config(String),
    /// The API did not do what a check needs (create an object, read it back).
    Setup(String),
    /// The request or time limit was reached.
    Bound(String),
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Config(m) => write!(f, "configuration: {m}"),
            Self::Setup(m) => write!(f, "the API did not let the probe set up: {m}"),
            Self::Bound(m) => write!(f, "stopped: {m}"),
        }
    }
}

impl std::error::Error for ProbeError {}

/// Runs the checks of `config` against the API, telling `progress` what it does.
pub fn run(config: &Config, progress: &(dyn Fn(&str) + Sync)) -> Result<Report, ProbeError> {
    for check in &config.checks {
        if !CHECKS.contains(&check.as_str()) {
            return Err(ProbeError::Config(format!(
                "no check {check:?}; the checks are {}",
                CHECKS.join(", ")
            )));
        }
    }
    let client = client::Client::new(&config.base_url, config.max_requests, config.time)?;
    let cx = checks::Context::setup(config, &client, progress)?;
    let mut report = Report {
        base_url: config.base_url.clone(),
        auth: client.auth().to_string(),
        notes: config.routes.notes.clone(),
        ..Report::default()
    };
    let ran = run_checks(config, &cx, &mut report);
    report.left_behind = cx.clean_up();
    if !report.left_behind.is_empty() {
        progress(&format!(
            "clean-up: {} object(s) could not be deleted: {}",
            report.left_behind.len(),
            report.left_behind.join(", ")
        ));
    }
    ran?;
    report.public_reads = std::mem::take(&mut *cx.public.lock().expect("public"));
    report.trials = std::mem::take(&mut *cx.trials.lock().expect("trials"));
    report.requests = client.sent();
    Ok(report)
}

fn run_checks(
    config: &Config,
    cx: &checks::Context<'_>,
    report: &mut Report,
) -> Result<(), ProbeError> {
    for &check in CHECKS {
        if !config.checks.iter().any(|c| c == check) {
            continue;
        }
        cx.progress(&format!("{check}: running"));
        let (summary, findings) = checks::run(check, cx)?;
        cx.progress(&format!(
            "{check}: {} attempt(s), {} finding(s){}",
            summary.attempts,
            summary.findings,
            summary
                .skipped
                .as_deref()
                .map_or(String::new(), |why| format!(", skipped: {why}"))
        ));
        report.checks.push(summary);
        report.findings.extend(findings);
    }
    Ok(())
}
