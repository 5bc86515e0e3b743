//! The probe against a Conduit-shaped API (`conduit/server.rs`), set up as a user would
//! for one nobody here wrote: its YAML OpenAPI document, a login with registration (or tokens
//! minted with its `user_id` claim), the author shown by username, public reads, and no
//! transfer route (an ownership change by command instead). Each planted flaw is found, no
//! public read is reported, and what the probe created is gone afterwards.

mod server;

use std::time::Duration;

use guarded_probe::routes::Route;
use guarded_probe::{Config, ProbeError, Report, Routes, Tokens};
use serde_json::json;
use server::{Flaws, SECRET, Server};

const SPEC: &str = include_str!("openapi.yaml");
const ALICE: (&str, &str) = ("9b2f5c1e-0000-4000-8000-00000000a11c", "alice_w");
const MALLORY: (&str, &str) = ("9b2f5c1e-0000-4000-8000-0000000a11e7", "mallory_x");

/// The routes from the published document, the author by username.
fn routes() -> Routes {
    let doc = guarded_probe::openapi::parse(SPEC).expect("the YAML document");
    guarded_probe::openapi::routes(&doc, None, "/article/author/username", None)
        .expect("the routes")
}

/// A login with registration, as `--login`/`--register` give it.
fn with_login(mut routes: Routes) -> Routes {
    routes.login = Some(Route {
        request: "POST /api/users/login".to_owned(),
        body: Some(json!({ "user": { "email": "{email}", "password": "{password}" } })),
        token: Some("/user/token".to_owned()),
        ..Route::default()
    });
    routes.register = Some(Route {
        request: "POST /api/users".to_owned(),
        body: Some(json!({ "user": {
            "username": "{user}", "email": "{email}", "password": "{password}" } })),
        ..Route::default()
    });
    routes.check().expect("valid routes");
    routes
}

/// Tokens minted with the app's claim, users given with their id and username.
fn minted(routes: &mut Routes) -> (Tokens, (String, String)) {
    routes
        .auth
        .claims
        .insert("user_id".to_owned(), "{id}".to_owned());
    routes.auth.owner_value = Some("username".to_owned());
    let user =
        |(id, username): (&str, &str), name: &str| format!("{name}:id={id},username={username}");
    (
        Tokens::Mint {
            secret: SECRET.as_bytes().to_vec(),
            issuer: None,
            audience: None,
            ttl: 600,
        },
        (user(ALICE, "alice"), user(MALLORY, "mallory")),
    )
}

/// The ownership change of an API without a transfer route: a command, here bash talking to
/// the server's undocumented admin port.
fn command(server: &Server) -> Vec<String> {
    let script = format!(
        "exec 3<>/dev/tcp/127.0.0.1/{} || exit 2\n\
         printf 'POST /owner/%s/%s HTTP/1.0\\r\\ncontent-length: 0\\r\\n\\r\\n' \
         \"$GUARDED_PROBE_ID\" \"$GUARDED_PROBE_OTHER\" >&3\n\
         read -r status <&3\n\
         case \"$status\" in *' 200 '*) exit 0 ;; *) echo \"$status\"; exit 1 ;; esac",
        server.admin.port()
    );
    vec!["bash".to_owned(), "-c".to_owned(), script]
}

fn by_command(routes: &mut Routes, server: &Server) {
    routes.transfer = Some(Route {
        command: Some(command(server)),
        ..Route::default()
    });
    routes.check().expect("valid routes");
}

async fn probe(
    server: &Server,
    routes: Routes,
    tokens: Tokens,
    users: (String, String),
    checks: &[&str],
    race_pairs: usize,
) -> Report {
    try_probe(server, routes, tokens, users, checks, race_pairs)
        .await
        .expect("the probe finished")
}

async fn try_probe(
    server: &Server,
    routes: Routes,
    tokens: Tokens,
    users: (String, String),
    checks: &[&str],
    race_pairs: usize,
) -> Result<Report, ProbeError> {
    let config = Config {
        base_url: format!("http://{}", server.api),
        routes,
        tokens,
        public_key: None,
        users,
        checks: checks.iter().map(|c| (*c).to_owned()).collect(),
        race_pairs,
        concurrency: 8,
        max_requests: 3000,
        time: Duration::from_mins(2),
    };
    tokio::task::spawn_blocking(move || guarded_probe::run(&config, &|line| eprintln!("{line}")))
        .await
        .expect("the probe ran")
}

fn summary<'r>(report: &'r Report, check: &str) -> &'r guarded_probe::Summary {
    report
        .checks
        .iter()
        .find(|s| s.check == check)
        .unwrap_or_else(|| panic!("no {check}: {}", report.render()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_api_with_a_login_yields_no_finding_and_names_its_public_reads() {
    let server = server::start(Flaws::default(), &[]).await;
    let checks = ["tokens", "access", "mass-assignment"];
    let users = ("alice".to_owned(), "mallory".to_owned());
    let report = probe(
        &server,
        with_login(routes()),
        Tokens::Login,
        users,
        &checks,
        0,
    )
    .await;
    assert!(report.findings.is_empty(), "{}", report.render());
    assert_eq!(report.auth, "authorization: Token {token}", "from the 401");
    assert!(
        report
            .public_reads
            .iter()
            .any(|r| r.starts_with("GET /api/articles/{id}")),
        "{}",
        report.render()
    );
    for check in checks {
        let s = summary(&report, check);
        assert!(s.attempts > 0 && s.skipped.is_none(), "{}", report.render());
        assert!(s.inconclusive.is_none(), "{}", report.render());
    }
    assert!(report.left_behind.is_empty(), "{}", report.render());
    assert_eq!(
        server.app.articles().await,
        0,
        "the probe deleted what it made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planted_flaws_of_a_token_api_are_found_and_its_public_reads_are_not() {
    let flaws = Flaws {
        no_author_check: true,
        author_from_body: true,
        ..Flaws::default()
    };
    let server = server::start(flaws, &[ALICE, MALLORY]).await;
    let mut routes = routes();
    let (tokens, users) = minted(&mut routes);
    let report = probe(
        &server,
        routes,
        tokens,
        users,
        &["tokens", "access", "mass-assignment"],
        0,
    )
    .await;
    let names: Vec<&str> = report.findings.iter().map(|f| f.name.as_str()).collect();
    for expected in [
        "a stranger's update of another user's object",
        "a stranger's delete of another user's object",
        "the create took the owner from the body (`username`)",
        "the update took the owner from the body (`username`)",
    ] {
        assert!(names.contains(&expected), "{expected}: {}", report.render());
    }
    assert!(
        !names
            .iter()
            .any(|n| n.contains("read") || n.starts_with("no token")),
        "a public read is no finding: {}",
        report.render()
    );
    // The stranger's token, sent first, writes: the missing author check again, seen by
    // the token check; nothing else about tokens is wrong.
    assert!(
        report
            .findings
            .iter()
            .filter(|f| f.check == "tokens")
            .all(|f| f.name.starts_with("two tokens")),
        "{}",
        report.render()
    );
    assert!(report.left_behind.is_empty(), "{}", report.render());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_race_only_a_read_back_sees_is_found_through_an_ownership_command() {
    let racy = server::start(
        Flaws {
            check_then_act: true,
            ..Flaws::default()
        },
        &[ALICE, MALLORY],
    )
    .await;
    let mut routes = routes();
    by_command(&mut routes, &racy);
    let (tokens, users) = minted(&mut routes);
    let report = probe(&racy, routes, tokens, users, &["races"], 24).await;
    let finding = report
        .findings
        .iter()
        .find(|f| f.name.starts_with("transfer vs update"))
        .unwrap_or_else(|| panic!("{}", report.render()));
    assert!(
        finding.evidence.contains("right after the transfer"),
        "{finding:?}"
    );
    let updates: Vec<_> = report
        .trials
        .iter()
        .filter(|t| t["race"] == "transfer vs update")
        .collect();
    assert_eq!(updates.len(), 24, "every trial is kept");
    // The racing update's own answer shows the old author: only the read-back sees the race.
    for trial in updates.iter().filter(|t| t["verdict"] != "fine") {
        assert!(
            trial["write"]["body"]
                .as_str()
                .is_some_and(|b| b.contains(ALICE.1) && !b.contains(MALLORY.1)),
            "{trial}"
        );
    }
    for trial in &updates {
        for part in [
            "write",
            "transfer",
            "read_after_transfer",
            "read_after_both",
        ] {
            assert!(trial[part]["request"].is_string(), "{trial}");
        }
    }
    assert!(report.left_behind.is_empty(), "{}", report.render());
    assert_eq!(
        racy.app.articles().await,
        0,
        "given away, then deleted by the new owner"
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| !f.name.starts_with("transfer vs delete")),
        "the delete is atomic: {}",
        report.render()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_race_is_found_through_an_administrators_request() {
    let racy = server::start(
        Flaws {
            check_then_act: true,
            ..Flaws::default()
        },
        &[ALICE, MALLORY],
    )
    .await;
    let mut routes = routes();
    routes.transfer = Some(Route {
        request: "POST /api/admin/articles/{id}/author".to_owned(),
        body: Some(json!({ "username": "{other}" })),
        authorization: Some(server::ADMIN.to_owned()),
        ..Route::default()
    });
    let (tokens, users) = minted(&mut routes);
    let report = probe(&racy, routes, tokens, users, &["races"], 24).await;
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.name.starts_with("transfer vs update")),
        "{}",
        report.render()
    );
    assert!(report.left_behind.is_empty(), "{}", report.render());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_guarded_twin_of_the_racy_api_yields_no_race() {
    let guarded = server::start(Flaws::default(), &[ALICE, MALLORY]).await;
    let mut routes = routes();
    by_command(&mut routes, &guarded);
    let (tokens, users) = minted(&mut routes);
    let report = probe(&guarded, routes, tokens, users, &["races"], 24).await;
    assert!(report.findings.is_empty(), "{}", report.render());
    let fine = report
        .trials
        .iter()
        .filter(|t| t["race"] == "transfer vs update" && t["verdict"] == "fine")
        .count();
    assert_eq!(fine, 24, "every trial judged: {:#?}", report.trials);
    assert!(
        summary(&report, "races").inconclusive.is_none(),
        "{}",
        report.render()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_that_never_lands_makes_the_write_checks_inconclusive() {
    let flaws = Flaws {
        updates_ignored: true,
        ..Flaws::default()
    };
    let server = server::start(flaws, &[ALICE, MALLORY]).await;
    let mut routes = routes();
    let (tokens, users) = minted(&mut routes);
    let report = probe(&server, routes, tokens, users, &["access", "tokens"], 0).await;
    assert!(report.findings.is_empty(), "{}", report.render());
    for check in ["access", "tokens"] {
        let why = summary(&report, check).inconclusive.as_deref();
        assert!(
            why.is_some_and(|w| w.contains("does not show its marker")),
            "{check}: {}",
            report.render()
        );
    }
    assert!(
        report.render().contains("inconclusive"),
        "{}",
        report.render()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_owner_shown_by_another_value_says_what_was_there() {
    let server = server::start(Flaws::default(), &[ALICE, MALLORY]).await;
    let mut routes = routes();
    let (tokens, users) = minted(&mut routes);
    routes.auth.owner_value = None;
    let Err(ProbeError::Setup(why)) =
        try_probe(&server, routes, tokens, users, &["access"], 0).await
    else {
        panic!("the setup must fail: the owner shown is the username");
    };
    for part in [
        "\"alice\"",
        "/article/author/username",
        "\"alice_w\" there",
        "--owner-value",
    ] {
        assert!(why.contains(part), "{part}: {why}");
    }
}

/// A file removed when the test ends, pass or fail.
struct Temp(std::path::PathBuf);

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_readmes_command_probes_a_token_api_from_its_yaml_document_and_a_login() {
    let server = server::start(Flaws::default(), &[]).await;
    let dir = std::env::temp_dir();
    let id = std::process::id();
    let spec = Temp(dir.join(format!("guarded-probe-conduit-{id}.yaml")));
    let json = Temp(dir.join(format!("guarded-probe-conduit-{id}.json")));
    std::fs::write(&spec.0, SPEC).expect("a temporary file");
    let base = format!("http://{}", server.api);
    let args: Vec<String> = [
        "--base-url",
        &base,
        "--openapi",
        spec.0.to_str().expect("a UTF-8 path"),
        "--owner",
        "/article/author/username",
        "--login",
        "POST /api/users/login",
        "--login-body",
        r#"{"user":{"email":"{email}","password":"{password}"}}"#,
        "--login-token",
        "/user/token",
        "--register",
        "POST /api/users",
        "--register-body",
        r#"{"user":{"username":"{user}","email":"{email}","password":"{password}"}}"#,
        "--json",
        json.0.to_str().expect("a UTF-8 path"),
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let (status, said) = run_probe(args).await;
    assert_eq!(status, Some(0), "{said}");
    assert!(
        said.contains("public read: GET /api/articles/{id}"),
        "{said}"
    );
    assert!(said.contains("not probed: /user: a singleton"), "{said}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json.0).expect("the JSON report")).expect("JSON");
    assert_eq!(report["auth"], "authorization: Token {token}");
    assert_eq!(
        server.app.articles().await,
        0,
        "the probe deleted what it made"
    );
}

#[test]
fn the_help_says_how_many_race_trials_see_what() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_guarded-probe"))
        .arg("--help")
        .output()
        .expect("the probe runs");
    let help = String::from_utf8_lossy(&out.stdout);
    for part in [
        "[default: 90]",
        "0.95^90",
        "5 % race with more",
        "--scheme",
        "--login",
    ] {
        assert!(help.contains(part), "{part}: {help}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_stopped_by_its_request_limit_still_deletes_what_it_made() {
    let server = server::start(Flaws::default(), &[ALICE, MALLORY]).await;
    let mut routes = routes();
    let (tokens, users) = minted(&mut routes);
    let config = Config {
        base_url: format!("http://{}", server.api),
        routes,
        tokens,
        public_key: None,
        users,
        checks: vec!["tokens".to_owned()],
        race_pairs: 0,
        concurrency: 1,
        max_requests: 12,
        time: Duration::from_mins(2),
    };
    let ran = tokio::task::spawn_blocking(move || guarded_probe::run(&config, &|_| {}))
        .await
        .expect("the probe ran");
    assert!(matches!(ran, Err(ProbeError::Bound(_))), "{ran:?}");
    assert_eq!(server.app.articles().await, 0, "deleted past the limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_command_line_races_an_ownership_command_with_minted_claims() {
    let racy = server::start(
        Flaws {
            check_then_act: true,
            ..Flaws::default()
        },
        &[ALICE, MALLORY],
    )
    .await;
    let spec = Temp(std::env::temp_dir().join(format!(
        "guarded-probe-conduit-race-{}.yaml",
        std::process::id()
    )));
    std::fs::write(&spec.0, SPEC).expect("a temporary file");
    let base = format!("http://{}", racy.api);
    let alice = format!("alice:id={},username={}", ALICE.0, ALICE.1);
    let mallory = format!("mallory:id={},username={}", MALLORY.0, MALLORY.1);
    let transfer = serde_json::to_string(&command(&racy)).expect("JSON");
    let args: Vec<String> = [
        "--base-url",
        &base,
        "--openapi",
        spec.0.to_str().expect("a UTF-8 path"),
        "--owner",
        "/article/author/username",
        "--owner-value",
        "username",
        "--secret",
        SECRET,
        "--claim",
        "user_id={id}",
        "--user",
        &alice,
        "--user",
        &mallory,
        "--transfer-command",
        &transfer,
        "--checks",
        "races",
        "--race-pairs",
        "16",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let (status, said) = run_probe(args).await;
    assert_eq!(status, Some(1), "{said}");
    assert!(said.contains("[races] transfer vs update"), "{said}");
    assert_eq!(racy.app.articles().await, 0, "{said}");
}

/// The probe's binary run with `args` off the test's runtime: its exit code, and what it
/// printed on stdout and stderr.
async fn run_probe(args: Vec<String>) -> (Option<i32>, String) {
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_guarded-probe"))
            .args(&args)
            .output()
            .expect("the probe runs")
    })
    .await
    .expect("joined");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), said)
}
