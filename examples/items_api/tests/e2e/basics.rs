//! Owners and strangers, versions, bad tokens and bodies, transfers.

use crate::rows;
use crate::server::{JSON, SECRET, Server, crafted, token_for};

pub fn run(server: &Server) {
    let alice = token_for("alice");
    let bob = token_for("bob");
    let (id, path) = owner_and_stranger(server, &alice, &bob);
    versions(server, &path, &alice);
    bad_tokens_and_bodies(server, &path, &alice);
    transfer_then_old_owner_delete(server, id, &path, &alice, &bob);
}

/// Creates an item as `token`'s user; returns its id and path.
pub fn create(server: &Server, token: &str, title: &str) -> (i64, String) {
    let created = server.call(
        "POST",
        "/items",
        token,
        Some(&format!(r#"{{"title":"{title}"}}"#)),
    );
    let item = created.ok(201);
    let id = item["id"].as_i64().expect("id");
    let path = format!("/items/{id}");
    assert_eq!(created.header("location"), Some(path.as_str()));
    (id, path)
}

/// The owner creates (the owner column comes from the token); a stranger can neither see
/// nor change the item, and learns nothing about it.
fn owner_and_stranger(server: &Server, alice: &str, bob: &str) -> (i64, String) {
    let (id, path) = create(server, alice, "notes");
    let mine = server.call("GET", &path, alice, None).ok(200);
    assert_eq!(
        mine,
        serde_json::json!({
            "id": id, "title": "notes", "owner": "alice", "version": 1,
            "archived": false, "access": "owner",
        })
    );

    server
        .call("GET", &path, bob, None)
        .problem(404, "not_found");
    server
        .call("PUT", &path, bob, Some(r#"{"title":"stolen"}"#))
        .problem(404, "not_found");
    server
        .call("DELETE", &path, bob, None)
        .problem(404, "not_found");
    server
        .call(
            "POST",
            &format!("{path}/transfer"),
            bob,
            Some(r#"{"to":"bob"}"#),
        )
        .problem(404, "not_found");
    assert_eq!(
        server.call("GET", "/items", bob, None).ok(200),
        serde_json::json!([])
    );
    assert_eq!(
        rows::item(&server.url, id),
        Some(("notes".into(), "alice".into(), 1, false))
    );
    (id, path)
}

/// If-Match with the current version succeeds once, then is stale: 412, decided by the
/// UPDATE itself.
fn versions(server: &Server, path: &str, alice: &str) {
    let put = |version: &str, title: &str| {
        let if_match = format!("\"{version}\"");
        let body = format!(r#"{{"title":"{title}"}}"#);
        server.http(
            "PUT",
            path,
            Some(alice),
            &[JSON, ("If-Match", &if_match)],
            Some(&body),
        )
    };
    let renamed = put("1", "renamed");
    assert_eq!(renamed.ok(200)["version"], 2);
    assert_eq!(renamed.header("etag"), Some("\"2\""));
    put("1", "lost update").problem(412, "precondition_failed");
    let now = server.call("GET", path, alice, None).ok(200);
    assert_eq!(
        (&now["title"], &now["version"]),
        (&"renamed".into(), &2.into())
    );
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
        let r = server.call("DELETE", path, &token, None);
        assert_eq!(r.status, 401, "{why}: {}", r.body);
        assert!(
            r.header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer")),
            "{why}"
        );
        assert!(!r.body.contains(&token), "{why}: the body echoes the token");
    }
    assert_eq!(
        server.http("GET", path, None, &[], None).status,
        401,
        "no token"
    );

    let put = |body: &str| server.call("PUT", path, alice, Some(body));
    put(r#"{"title":"#).problem(400, "malformed_body");
    put(r#"{"title":""}"#).problem(422, "invalid_value");
    put(r#"{"name":"x"}"#).problem(422, "invalid_body");
    server
        .http(
            "PUT",
            path,
            Some(alice),
            &[("Content-Type", "text/plain")],
            Some("x"),
        )
        .problem(415, "not_json");
    put(&format!(r#"{{"title":"{}"}}"#, "x".repeat(64 * 1024))).problem(413, "body_too_large");

    let now = server.call("GET", path, alice, None).ok(200);
    assert_eq!(
        (&now["title"], &now["version"]),
        (&"renamed".into(), &2.into())
    );
}

/// After a transfer the old owner's delete is refused; the new owner has the item and can
/// delete it.
fn transfer_then_old_owner_delete(server: &Server, id: i64, path: &str, alice: &str, bob: &str) {
    let moved = server.call(
        "POST",
        &format!("{path}/transfer"),
        alice,
        Some(r#"{"to":"bob"}"#),
    );
    assert_eq!(moved.ok(200)["owner"], "bob");
    server
        .call("DELETE", path, alice, None)
        .problem(404, "not_found");
    let theirs = server.call("GET", "/items", bob, None).ok(200);
    assert_eq!(theirs.as_array().map(Vec::len), Some(1), "{theirs}");
    assert_eq!(theirs[0]["title"], "renamed");
    assert_eq!(theirs[0]["access"], "owner");
    assert_eq!(
        server.call("GET", "/items", alice, None).ok(200),
        serde_json::json!([])
    );

    server.call("DELETE", path, bob, None).ok(204);
    server
        .call("GET", path, bob, None)
        .problem(404, "not_found");
    assert_eq!(rows::item(&server.url, id), None);
}
