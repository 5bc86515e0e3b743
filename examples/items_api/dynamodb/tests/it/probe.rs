//! `guarded-probe` against the demo on DynamoDB, served on a local port, against the server
//! `GUARDED_TEST_DYNAMODB` names: its broken tokens, a stranger's requests, an owner in the
//! body, a token reused after its logout and the races (ownership, logout vs write) find
//! nothing.

use std::time::Duration;

use guarded::Verifier;
use guarded_probe::{Config, Routes, Tokens};

const SECRET: &[u8] = b"probe-secret-probe-secret-probe-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_finds_nothing_on_the_demo_on_dynamodb() {
    let Some(endpoint) = guarded_testkit::dynamodb::endpoint() else {
        return;
    };
    let client = items_api_dynamodb::client(&endpoint);
    items_api_dynamodb::create_tables(&client)
        .await
        .expect("the table");
    let verifier = Verifier::hs256(SECRET).expect("a verifier");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("its address");
    let app = items_api_dynamodb::router(client, verifier);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });

    let routes = Routes::parse(include_str!("../../../../../probe/examples/items_api.toml"))
        .expect("the demo's route file");
    let checks = ["tokens", "access", "mass-assignment", "revocation", "races"];
    let config = Config {
        base_url: format!("http://{addr}"),
        routes,
        tokens: Tokens::Mint {
            secret: SECRET.to_vec(),
            issuer: None,
            audience: None,
            ttl: 600,
        },
        public_key: None,
        users: (
            format!("probe-alice-{}", std::process::id()),
            format!("probe-mallory-{}", std::process::id()),
        ),
        checks: checks.iter().map(|c| (*c).to_owned()).collect(),
        race_pairs: 16,
        concurrency: 8,
        max_requests: 2000,
        time: Duration::from_mins(2),
    };
    let report = tokio::task::spawn_blocking(move || guarded_probe::run(&config, &|_| {}))
        .await
        .expect("the probe ran")
        .expect("the probe finished");
    assert!(report.findings.is_empty(), "{}", report.render());
    assert_eq!(report.checks.len(), checks.len(), "{}", report.render());
    for check in &report.checks {
        assert!(
            check.skipped.is_none() && check.attempts > 0,
            "{}",
            report.render()
        );
    }
}
