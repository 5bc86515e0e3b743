//! End to end: `examples/items_api` as a separate process on a free port, driven over HTTP, on
//! each backend (the demo's handlers are written once, for `Guard<Any>`).
//!
//! Plain `cargo test` builds the example before running this; with `--test it`
//! alone, build it first (`cargo build --example items_api`).

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;
use sqlx::{MySql, Postgres};

use crate::common::Backend;

const SECRET: &str = "e2e-secret-e2e-secret-e2e-secret-e2e!";

fn example() -> PathBuf {
    crate::common::example_binary("items_api")
}

/// The server process; killed when the test ends, however it ends.
struct Server {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The server on the database `url` names, on a port it picks and reports (no other process
/// can take the port between a pick here and its bind there).
fn start(url: &str) -> Server {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "guarded-e2e-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut child = Command::new(example())
        .env("PORT", "0")
        .env("JWT_SECRET", SECRET)
        .env(
            "DATABASE_URL",
            url.replace("{dir}", &dir.display().to_string()),
        )
        .stdout(Stdio::piped())
        .spawn()
        .expect("start items_api");
    // "items_api listening on http://127.0.0.1:PORT", once the listener is bound.
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    stdout
        .read_line(&mut line)
        .expect("read the server's first line");
    // The server logs to stdout: keep reading it, or its writes would fail on a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("items_api did not report its address: {line:?}"));
    Server {
        child,
        port,
        _dir: TempDir(dir),
    }
}

/// A token from the example's own `token` subcommand.
fn token_for(user: &str, ttl: &str) -> String {
    let out = Command::new(example())
        .args(["token", user, "--ttl", ttl])
        .env("JWT_SECRET", SECRET)
        .output()
        .expect("run items_api token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

/// A token signed by us with the demo's claims, `exp` and key chosen by the test.
fn crafted(user: &str, exp_offset: i64, secret: &str) -> String {
    let now = i64::try_from(jsonwebtoken::get_current_timestamp()).expect("time fits i64");
    let claims = serde_json::json!({
        "sub": user, "iss": "guarded-demo", "aud": "items-api",
        "iat": now - 600, "nbf": now - 600, "exp": now + exp_offset, "jti": "e2e",
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

struct Response {
    status: u16,
    headers: String,
    body: String,
}

impl Response {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// Every error of the API is problem+json with a short code.
    fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(self.json()["code"], code, "{}", self.body);
    }
}

/// One HTTP/1.1 request on a fresh connection.
fn http(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    let auth = token.map(|t| ("Authorization", format!("Bearer {t}")));
    let body = body.unwrap_or_default();
    let length = ("Content-Length", body.len().to_string());
    let fixed = [("Connection", "close".to_owned()), length];
    let given = extra.iter().map(|&(name, value)| (name, value.to_owned()));
    for (name, value) in given.chain(auth).chain(fixed) {
        write!(request, "{name}: {value}\r\n").expect("write to a String");
    }
    request.push_str("\r\n");
    request.push_str(body);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    stream.write_all(request.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("receive");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete response");
    let (status_line, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    Response {
        status,
        headers: headers.to_owned(),
        body: body.to_owned(),
    }
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

/// A request as `token`, with a JSON content type when there is a body.
fn call(server: &Server, method: &str, path: &str, token: &str, body: Option<&str>) -> Response {
    let extra: &[(&str, &str)] = if body.is_some() { &[JSON] } else { &[] };
    http(server, method, path, Some(token), extra, body)
}

/// The URL of a fresh database on `DB`'s server, `None` when its variable is unset. The
/// server creates its table there.
fn fresh_url<DB: Backend>() -> Option<String> {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let (pool, url) = DB::fresh_with_url().await?;
        pool.close().await;
        // The demo creates its own `items`; the test schema's differs from it.
        sqlx::any::install_default_drivers();
        let any = sqlx::AnyPool::connect(&url).await.expect("connect");
        sqlx::query("DROP TABLE items")
            .execute(&any)
            .await
            .expect("drop the test table");
        any.close().await;
        Some(url)
    })
}

#[test]
fn the_demo_api_end_to_end_on_sqlite() {
    end_to_end("sqlite://{dir}/items.db?mode=rwc");
}

#[test]
fn the_demo_api_end_to_end_on_postgres() {
    if let Some(url) = fresh_url::<Postgres>() {
        end_to_end(&url);
    }
}

#[test]
fn the_demo_api_end_to_end_on_mariadb() {
    if let Some(url) = fresh_url::<MySql>() {
        end_to_end(&url);
    }
}

fn end_to_end(url: &str) {
    let server = start(url);
    let alice = token_for("alice", "600");
    let bob = token_for("bob", "600");
    let path = owner_and_stranger(&server, &alice, &bob);
    versions(&server, &path, &alice);
    bad_tokens_and_bodies(&server, &path, &alice);
    transfer_then_old_owner_delete(&server, &path, &alice, &bob);
    assert_eq!(
        call(&server, "POST", "/auth/logout", &bob, None).status,
        204
    );
}

/// The owner creates (the owner column comes from the token); a stranger can neither see
/// nor change the item, and learns nothing about it. Returns the item's path.
fn owner_and_stranger(server: &Server, alice: &str, bob: &str) -> String {
    let created = call(
        server,
        "POST",
        "/items",
        alice,
        Some(r#"{"title":"notes"}"#),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let item = created.json();
    let id = item["id"].as_i64().expect("id");
    assert_eq!(item["owner"], "alice");
    assert_eq!(item["version"], 1);
    let path = format!("/items/{id}");
    assert_eq!(created.header("location"), Some(path.as_str()));

    call(server, "GET", &path, bob, None).assert_problem(404, "not_found");
    call(server, "PUT", &path, bob, Some(r#"{"title":"stolen"}"#)).assert_problem(404, "not_found");
    call(server, "DELETE", &path, bob, None).assert_problem(404, "not_found");
    call(
        server,
        "POST",
        &format!("{path}/transfer"),
        bob,
        Some(r#"{"to":"bob"}"#),
    )
    .assert_problem(404, "not_found");
    assert_eq!(
        call(server, "GET", "/items", bob, None).json(),
        serde_json::json!([])
    );
    let mine = call(server, "GET", &path, alice, None);
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(mine.json()["title"], "notes");
    path
}

/// If-Match with the current version succeeds once, then is stale.
fn versions(server: &Server, path: &str, alice: &str) {
    let put = |version: &str, title: &str| {
        let if_match = format!("\"{version}\"");
        let body = format!(r#"{{"title":"{title}"}}"#);
        http(
            server,
            "PUT",
            path,
            Some(alice),
            &[JSON, ("If-Match", &if_match)],
            Some(&body),
        )
    };
    let renamed = put("1", "renamed");
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.json()["version"], 2);
    assert_eq!(renamed.header("etag"), Some("\"2\""));
    put("1", "lost update").assert_problem(412, "version_mismatch");
}

/// Bad tokens are 401 with a challenge, bad bodies a problem+json; nothing changes.
fn bad_tokens_and_bodies(server: &Server, path: &str, alice: &str) {
    for (why, token) in [
        ("expired", crafted("alice", -120, SECRET)),
        (
            "forged",
            crafted("alice", 600, "another-secret-another-secret-xx"),
        ),
        ("garbage", "not.a.token".to_owned()),
    ] {
        let r = call(server, "DELETE", path, &token, None);
        assert_eq!(r.status, 401, "{why}: {}", r.body);
        assert!(
            r.header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer")),
            "{why}"
        );
        assert!(!r.body.contains(&token), "{why}: the body echoes the token");
    }
    assert_eq!(
        http(server, "GET", path, None, &[], None).status,
        401,
        "no token"
    );

    call(server, "PUT", path, alice, Some(r#"{"title":"#)).assert_problem(400, "malformed_body");
    call(server, "PUT", path, alice, Some(r#"{"title":""}"#)).assert_problem(422, "invalid_value");
    call(server, "PUT", path, alice, Some(r#"{"name":"x"}"#)).assert_problem(422, "invalid_body");
    http(
        server,
        "PUT",
        path,
        Some(alice),
        &[("Content-Type", "text/plain")],
        Some("x"),
    )
    .assert_problem(415, "not_json");
    let huge = format!(r#"{{"title":"{}"}}"#, "x".repeat(64 * 1024));
    call(server, "PUT", path, alice, Some(&huge)).assert_problem(413, "body_too_large");

    let now = call(server, "GET", path, alice, None).json();
    assert_eq!(
        (now["title"].as_str(), now["version"].as_i64()),
        (Some("renamed"), Some(2))
    );
}

/// After a transfer the old owner's delete is refused; the new owner has the item and can
/// delete it.
fn transfer_then_old_owner_delete(server: &Server, path: &str, alice: &str, bob: &str) {
    let moved = call(
        server,
        "POST",
        &format!("{path}/transfer"),
        alice,
        Some(r#"{"to":"bob"}"#),
    );
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.json()["owner"], "bob");
    call(server, "DELETE", path, alice, None).assert_problem(404, "not_found");
    let theirs = call(server, "GET", "/items", bob, None).json();
    assert_eq!(theirs.as_array().map(Vec::len), Some(1), "{theirs}");
    assert_eq!(theirs[0]["title"], "renamed");
    assert_eq!(
        call(server, "GET", "/items", alice, None).json(),
        serde_json::json!([])
    );

    assert_eq!(call(server, "DELETE", path, bob, None).status, 204);
    call(server, "GET", path, bob, None).assert_problem(404, "not_found");
}
