//! `guarded-probe` against the demo, with the route file its README gives: every check runs
//! and finds nothing (the probe's own suite shows each check finding its flaw elsewhere).

use std::time::Duration;

use guarded_probe::{CHECKS, Config, Routes, Tokens};

use crate::server::{SECRET, Server};

pub fn run(server: &Server) {
    let config = Config {
        base_url: server.base_url(),
        routes: Routes::parse(include_str!("../../../../probe/examples/items_api.toml"))
            .expect("the demo's route file"),
        tokens: Tokens::Mint {
            secret: SECRET.as_bytes().to_vec(),
            issuer: Some("guarded-demo".to_owned()),
            audience: Some("items-api".to_owned()),
            ttl: 600,
        },
        public_key: None,
        users: ("probe-alice".to_owned(), "probe-mallory".to_owned()),
        checks: CHECKS.iter().map(|c| (*c).to_owned()).collect(),
        race_pairs: 16,
        concurrency: 8,
        max_requests: 2000,
        time: Duration::from_mins(2),
    };
    let report = guarded_probe::run(&config, &|_| {}).expect("the probe finished");
    assert!(report.findings.is_empty(), "{}", report.render());
    assert_eq!(report.checks.len(), CHECKS.len(), "{}", report.render());
    for check in &report.checks {
        assert!(
            check.skipped.is_none() && check.attempts > 0,
            "{}",
            report.render()
        );
    }
}
