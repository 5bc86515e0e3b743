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

use std::time::Duration;

pub use report::{Finding, Report, Summary};
pub use routes::Routes;
pub use tokens::Tokens;

/// The checks, by name.
pub const CHECKS: &[&str] = &["tokens", "access", "mass-assignment", "revocation", "races"];

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
    /// The owner of the objects, and the stranger who attacks them.
    pub users: (String, String),
    /// The checks to run, among [`CHECKS`].
    pub checks: Vec<String>,
    /// Concurrent pairs of requests per race.
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
    if config.users.0 == config.users.1 {
        return Err(ProbeError::Config("the two users must differ".into()));
    }
    let client = client::Client::new(&config.base_url, config.max_requests, config.time)?;
    let cx = checks::Context::new(config, &client, progress);
    let mut report = Report {
        base_url: config.base_url.clone(),
        ..Report::default()
    };
    for &check in CHECKS {
        if !config.checks.iter().any(|c| c == check) {
            continue;
        }
        progress(&format!("{check}: running"));
        let (summary, findings) = checks::run(check, &cx)?;
        progress(&format!(
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
    report.requests = client.sent();
    Ok(report)
}
