//! The probe against a server whose flaws the test plants: each flaw alone is found by the
//! check that looks for it, and the server with none yields no finding at all (so no check
//! reports what is not there).

mod server;

use std::time::Duration;

use guarded_probe::{CHECKS, Config, Report, Routes, Tokens};
use server::{AUDIENCE, Flaws, ISSUER, Revocation, SECRET};

const ROUTES: &str = r#"
id = "/id"
owner = "/owner"

[create]
request = "POST /items"
body = { title = "probe" }

[read]
request = "GET /items/{id}"

[update]
request = "PUT /items/{id}"
body = { title = "{marker}" }
field = "/title"

[delete]
request = "DELETE /items/{id}"

[transfer]
request = "POST /items/{id}/transfer"
body = { to = "{other}" }

[logout]
request = "POST /auth/logout"
"#;

/// The probe's report on a server with `flaws`, running `checks`.
async fn probe(flaws: Flaws, checks: &[&str]) -> Report {
    probe_as(flaws, checks, ("alice", "mallory"), "").await
}

/// The same, as `users` (`name:key=value,...`) with the route file's `auth` section.
async fn probe_as(flaws: Flaws, checks: &[&str], users: (&str, &str), auth: &str) -> Report {
    let addr = server::start(flaws).await;
    let config = Config {
        base_url: format!("http://{addr}"),
        routes: Routes::parse(&format!("{ROUTES}{auth}")).expect("the routes"),
        tokens: Tokens::Mint {
            secret: SECRET.as_bytes().to_vec(),
            issuer: Some(ISSUER.to_owned()),
            audience: Some(AUDIENCE.to_owned()),
            ttl: 600,
        },
        public_key: None,
        users: (users.0.to_owned(), users.1.to_owned()),
        checks: checks.iter().map(|c| (*c).to_owned()).collect(),
        race_pairs: 16,
        concurrency: 8,
        max_requests: 2000,
        time: Duration::from_mins(2),
    };
    tokio::task::spawn_blocking(move || guarded_probe::run(&config, &|line| eprintln!("{line}")))
        .await
        .expect("the probe ran")
        .expect("the probe finished")
}

fn names(report: &Report, check: &str) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.check == check)
        .map(|f| f.name.clone())
        .collect()
}

fn assert_found(report: &Report, check: &str, parts: &[&str]) {
    let found = names(report, check);
    for part in parts {
        assert!(
            found.iter().any(|name| name.contains(part)),
            "{check}: no finding naming {part:?} in {found:#?}\n{}",
            report.render()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_without_flaws_yields_no_finding() {
    let report = probe(Flaws::default(), CHECKS).await;
    assert!(report.findings.is_empty(), "{}", report.render());
    assert!(report.left_behind.is_empty(), "{}", report.render());
    assert!(report.public_reads.is_empty(), "{}", report.render());
    for summary in &report.checks {
        assert!(summary.skipped.is_none(), "{}", report.render());
        assert!(summary.inconclusive.is_none(), "{}", report.render());
        assert!(summary.attempts > 0, "{}", report.render());
    }
    assert_eq!(report.checks.len(), CHECKS.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lax_verifier_is_found_token_by_token() {
    let flaws = Flaws {
        lax_tokens: true,
        ..Flaws::default()
    };
    let report = probe(flaws, &["tokens"]).await;
    assert_found(
        &report,
        "tokens",
        &[
            "alg none accepted",
            "signed with another key accepted",
            "expired an hour ago accepted",
            "not valid for another hour (nbf) accepted",
            "no exp accepted",
            "HS512 with the HS256 secret",
            "kid pointing at /dev/null",
            "wrong aud accepted",
            "wrong iss accepted",
            "token in the query string accepted",
            "two tokens, the owner's last accepted",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_missing_owner_check_is_found_on_every_route() {
    let flaws = Flaws {
        no_owner_check: true,
        ..Flaws::default()
    };
    let report = probe(flaws, &["access"]).await;
    // One finding per attempt: its answer and the change it made together.
    assert_eq!(report.findings.len(), 4, "{}", report.render());
    for (what, changed) in [
        ("read", false),
        ("update", true),
        ("transfer to themselves", true),
        ("delete", true),
    ] {
        let finding = report
            .findings
            .iter()
            .find(|f| f.name == format!("a stranger's {what} of another user's object"))
            .unwrap_or_else(|| panic!("no {what}: {}", report.render()));
        assert!(finding.observed.contains("succeeded"), "{finding:?}");
        assert_eq!(
            finding.observed.contains("the object changed"),
            changed,
            "{finding:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_owner_taken_from_the_body_is_found_on_create_and_update() {
    let flaws = Flaws {
        owner_from_body: true,
        ..Flaws::default()
    };
    let report = probe(flaws, &["mass-assignment"]).await;
    assert_found(
        &report,
        "mass-assignment",
        &[
            "the create took the owner from the body",
            "the update took the owner from the body",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn check_then_act_writes_are_found_racing_a_transfer() {
    let flaws = Flaws {
        check_then_act: true,
        ..Flaws::default()
    };
    let report = probe(flaws, &["races"]).await;
    assert_found(
        &report,
        "races",
        &["transfer vs update", "transfer vs delete"],
    );
    assert!(
        names(&report, "races")
            .iter()
            .all(|n| !n.starts_with("logout")),
        "{}",
        report.render()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_logout_that_ends_nothing_is_found() {
    let flaws = Flaws {
        revocation: Revocation::Never,
        ..Flaws::default()
    };
    let report = probe(flaws, &["revocation", "races"]).await;
    assert_found(
        &report,
        "revocation",
        &[
            "a logged-out token still reads",
            "a logged-out token still writes",
        ],
    );
    assert_found(&report, "races", &["logout vs write"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_checked_only_when_the_request_arrives_is_found_by_the_race() {
    let flaws = Flaws {
        revocation: Revocation::AtStart,
        ..Flaws::default()
    };
    let report = probe(flaws, &["revocation", "races"]).await;
    assert!(
        names(&report, "revocation").is_empty(),
        "{}",
        report.render()
    );
    assert_found(&report, "races", &["logout vs write"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stranger_of_another_tenant_is_refused_and_reads_across_tenants_are_found() {
    // Each user's `org` claim from their attributes; users of one tenant read each other's
    // items, so the stranger is of another.
    let auth = "[auth]\nclaims = { org = \"{org}\" }\n";
    let users = ("alice:org=acme", "mallory:org=evil");
    let sound = probe_as(Flaws::default(), &["access"], users, auth).await;
    assert!(sound.findings.is_empty(), "{}", sound.render());
    assert!(sound.checks[0].attempts > 0, "{}", sound.render());
    let flaws = Flaws {
        cross_tenant_reads: true,
        ..Flaws::default()
    };
    let flawed = probe_as(flaws, &["access"], users, auth).await;
    assert_eq!(
        names(&flawed, "access"),
        ["a stranger's read of another user's object"],
        "{}",
        flawed.render()
    );
}
