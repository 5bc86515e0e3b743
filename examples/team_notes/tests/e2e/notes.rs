//! Inside one organisation: members read each other's notes, the owner writes, an
//! administrator deletes, an archived note is a 409, a stale If-Match a 412, a logged-out
//! token a 401. Every refusal is checked on the row too.

use serde_json::json;

use crate::app::{App, crafted, jti, token};
use crate::rows::{self, stored};

pub async fn run(app: &App) {
    let id = members_read_the_owner_writes(app).await;
    versions(app, id).await;
    transfer(app, id).await;
    archive(app, id).await;
    administrators(app).await;
    logout(app).await;
    tokens(app).await;
}

/// Alice creates: the organisation and the owner come from her token. Bob, in the same
/// organisation, reads it and lists it; he cannot change it.
async fn members_read_the_owner_writes(app: &App) -> i64 {
    let (alice, bob) = (token("alice", "acme"), token("bob", "acme"));
    let created = app
        .call("POST", "/notes", &alice, Some(r#"{"title":"standup"}"#))
        .await;
    let note = created.ok(201);
    let id = note["id"].as_i64().expect("an id");
    assert_eq!(
        note,
        json!({"id": id, "org": "acme", "owner": "alice", "title": "standup", "version": 1, "archived": false})
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(
        rows::note(&app.pool, id).await,
        Some(stored("acme", "alice", "standup", 1, false))
    );

    assert_eq!(
        app.call("GET", &format!("/notes/{id}"), &bob, None)
            .await
            .ok(200),
        note
    );
    let listed = app.call("GET", "/notes", &bob, None).await.ok(200);
    assert!(
        listed.as_array().expect("a list").contains(&note),
        "{listed}"
    );

    let path = format!("/notes/{id}");
    app.call("PUT", &path, &bob, Some(r#"{"title":"bob's"}"#))
        .await
        .problem(404, "not_found");
    app.call("POST", &format!("{path}/archive"), &bob, None)
        .await
        .problem(404, "not_found");
    app.call("DELETE", &path, &bob, None)
        .await
        .problem(404, "not_found");
    assert_eq!(
        rows::note(&app.pool, id).await,
        Some(stored("acme", "alice", "standup", 1, false))
    );
    id
}

/// If-Match with the current version renames once; the same version again is stale: 412,
/// decided by the UPDATE. A member who may not write gets 404, not the 412.
async fn versions(app: &App, id: i64) {
    let (alice, bob) = (token("alice", "acme"), token("bob", "acme"));
    let path = format!("/notes/{id}");
    let put = |token: String, version: &'static str, title: &'static str| {
        let path = path.clone();
        async move {
            let body = format!(r#"{{"title":"{title}"}}"#);
            app.send(
                "PUT",
                &path,
                Some(&token),
                &[("if-match", version)],
                Some(&body),
            )
            .await
        }
    };
    let renamed = put(alice.clone(), "\"1\"", "daily standup").await;
    assert_eq!(renamed.ok(200)["version"], 2);
    assert_eq!(renamed.header("etag"), Some("\"2\""));
    put(alice.clone(), "\"1\"", "lost update")
        .await
        .problem(412, "precondition_failed");
    put(bob, "\"1\"", "lost update")
        .await
        .problem(404, "not_found");
    put(alice, "one", "bad header")
        .await
        .problem(400, "bad_if_match");
    assert_eq!(
        rows::note(&app.pool, id).await,
        Some(stored("acme", "alice", "daily standup", 2, false))
    );
}

/// The owner hands the note to another member of its organisation, never outside it; the
/// organisation stays.
async fn transfer(app: &App, id: i64) {
    let (alice, bob) = (token("alice", "acme"), token("bob", "acme"));
    let path = format!("/notes/{id}/transfer");
    // Carol is in globex only, zed nowhere.
    for to in ["carol", "zed"] {
        let body = format!(r#"{{"to":"{to}"}}"#);
        app.call("POST", &path, &alice, Some(&body))
            .await
            .problem(422, "not_a_member");
    }
    app.call("POST", &path, &bob, Some(r#"{"to":"bob"}"#))
        .await
        .problem(404, "not_found");
    assert_eq!(
        rows::note(&app.pool, id).await,
        Some(stored("acme", "alice", "daily standup", 2, false))
    );

    let moved = app
        .call("POST", &path, &alice, Some(r#"{"to":"bob"}"#))
        .await
        .ok(200);
    assert_eq!(
        (&moved["owner"], &moved["version"]),
        (&"bob".into(), &3.into())
    );
    assert_eq!(
        rows::note(&app.pool, id).await,
        Some(stored("acme", "bob", "daily standup", 3, false))
    );
    app.call(
        "PUT",
        &format!("/notes/{id}"),
        &alice,
        Some(r#"{"title":"mine again"}"#),
    )
    .await
    .problem(404, "not_found");
}

/// Archived, the note refuses every update with 409 `archived`, to its owner only; it is
/// still read.
async fn archive(app: &App, id: i64) {
    let (bob, dana) = (token("bob", "acme"), token("dana", "acme"));
    let path = format!("/notes/{id}");
    app.call("POST", &format!("{path}/archive"), &dana, None)
        .await
        .problem(404, "not_found");
    let archived = app
        .call("POST", &format!("{path}/archive"), &bob, None)
        .await
        .ok(200);
    assert_eq!(
        (&archived["archived"], &archived["version"]),
        (&true.into(), &4.into())
    );
    let expected = Some(stored("acme", "bob", "daily standup", 4, true));
    assert_eq!(rows::note(&app.pool, id).await, expected);

    app.call("PUT", &path, &bob, Some(r#"{"title":"late"}"#))
        .await
        .problem(409, "archived");
    app.send(
        "PUT",
        &path,
        Some(&bob),
        &[("if-match", "\"4\"")],
        Some(r#"{"title":"late"}"#),
    )
    .await
    .problem(409, "archived");
    app.call("POST", &format!("{path}/archive"), &bob, None)
        .await
        .problem(409, "archived");
    app.call(
        "POST",
        &format!("{path}/transfer"),
        &bob,
        Some(r#"{"to":"dana"}"#),
    )
    .await
    .problem(409, "archived");
    // Dana could not write it anyway: the 404 of a note she may not write.
    app.call("PUT", &path, &dana, Some(r#"{"title":"late"}"#))
        .await
        .problem(404, "not_found");
    assert_eq!(rows::note(&app.pool, id).await, expected);
    assert_eq!(
        app.call("GET", &path, &dana, None).await.ok(200)["archived"],
        true
    );
}

/// Alice administers acme: she deletes a note of Dana's, until the members table says she
/// no longer administers it (the same token, the next statement).
async fn administrators(app: &App) {
    let (alice, bob, dana) = (
        token("alice", "acme"),
        token("bob", "acme"),
        token("dana", "acme"),
    );
    let first = app.create(&dana, "first").await;
    let second = app.create(&dana, "second").await;
    app.call("DELETE", &format!("/notes/{first}"), &bob, None)
        .await
        .problem(404, "not_found");
    assert!(rows::note(&app.pool, first).await.is_some());
    app.call("DELETE", &format!("/notes/{first}"), &alice, None)
        .await
        .ok(204);
    assert_eq!(rows::note(&app.pool, first).await, None);

    rows::exec(
        &app.pool,
        "UPDATE members SET role = 'member' WHERE org_id = 'acme' AND user_id = 'alice'",
    )
    .await;
    app.call("DELETE", &format!("/notes/{second}"), &alice, None)
        .await
        .problem(404, "not_found");
    assert_eq!(
        rows::note(&app.pool, second).await,
        Some(stored("acme", "dana", "second", 1, false))
    );
    rows::exec(
        &app.pool,
        "UPDATE members SET role = 'admin' WHERE org_id = 'acme' AND user_id = 'alice'",
    )
    .await;
    // Her own note, whatever her role.
    app.call("DELETE", &format!("/notes/{second}"), &dana, None)
        .await
        .ok(204);
    assert_eq!(rows::note(&app.pool, second).await, None);
}

/// A logged-out token is refused by every write (401 `revoked`) and changes nothing; the
/// user's other tokens still work. Reads of `notes` are `read = "public"`, which carries the
/// scope but not `[token] valid`: the logged-out token still lists its organisation's notes.
async fn logout(app: &App) {
    let bob = token("bob", "acme");
    let id = app.create(&bob, "before logout").await;
    app.call("POST", "/auth/logout", &bob, None).await.ok(204);
    assert_eq!(rows::revoked(&app.pool, &jti(&bob)).await, 1);

    let before = rows::all(&app.pool).await;
    let path = format!("/notes/{id}");
    app.call("POST", "/notes", &bob, Some(r#"{"title":"after logout"}"#))
        .await
        .problem(401, "revoked");
    app.call("PUT", &path, &bob, Some(r#"{"title":"after logout"}"#))
        .await
        .problem(401, "revoked");
    app.call("POST", &format!("{path}/archive"), &bob, None)
        .await
        .problem(401, "revoked");
    app.call("DELETE", &path, &bob, None)
        .await
        .problem(401, "revoked");
    app.call("POST", "/auth/logout", &bob, None)
        .await
        .problem(401, "revoked");
    // A read within the scope is decided by the token's claims, so it carries the token's
    // validity too: a logged-out token reads nothing either.
    app.call("GET", &path, &bob, None)
        .await
        .problem(401, "revoked");
    app.call("GET", "/notes", &bob, None)
        .await
        .problem(401, "revoked");
    assert_eq!(rows::all(&app.pool).await, before);

    let again = token("bob", "acme");
    app.call("DELETE", &path, &again, None).await.ok(204);
    assert_eq!(rows::note(&app.pool, id).await, None);
}

/// No token, a token without `org` or with an empty one (the claims type refuses both), a
/// token without `jti` (the policy binds it) and an expired one: 401, nothing written.
async fn tokens(app: &App) {
    let before = rows::all(&app.pool).await;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = |extra: serde_json::Value| {
        let mut claims = json!({
            "sub": "bob", "iss": team_notes::ISSUER, "aud": team_notes::AUDIENCE,
            "iat": now, "nbf": now - 10, "exp": now + 600,
        });
        let object = claims.as_object_mut().expect("an object");
        for (key, value) in extra.as_object().expect("an object") {
            object.insert(key.clone(), value.clone());
        }
        crafted(&claims)
    };
    let body = Some(r#"{"title":"t"}"#);
    let no_org = claims(json!({"jti": "no-org"}));
    let no_jti = claims(json!({"org": "acme"}));
    let empty_org = claims(json!({"org": "", "jti": "empty-org"}));
    let expired = claims(json!({"org": "acme", "jti": "old", "exp": now - 120}));
    for (why, token) in [
        ("no org", no_org),
        ("empty org", empty_org),
        ("no jti", no_jti),
        ("expired", expired),
    ] {
        let answer = app.call("POST", "/notes", &token, body).await;
        assert_eq!(answer.status, 401, "{why}: {}", answer.body);
        assert!(
            answer
                .header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer")),
            "{why}"
        );
    }
    let answer = app.send("POST", "/notes", None, &[], body).await;
    assert_eq!(answer.status, 401, "no token: {}", answer.body);
    assert_eq!(rows::all(&app.pool).await, before);
}
