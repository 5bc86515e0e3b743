//! The tenant boundary: a token of one organisation neither reads nor changes nor creates a
//! note of another, even when its user belongs to both, and a refusal changes no row. (The
//! third escape, an UPDATE that moves a note to another organisation, does not compile: the
//! `compile_fail` example in src/lib.rs.)

use crate::app::{App, token};
use crate::rows::{self, stored};

pub async fn run(app: &App) {
    one_person_two_organisations(app).await;
    an_administrator_of_another_organisation(app).await;
    a_token_for_an_organisation_its_user_is_not_in(app).await;
    a_member_removed(app).await;
}

/// Dana belongs to acme and globex. Holding her globex token she can neither read nor
/// change her own acme note: every statement is scoped to the token's organisation.
async fn one_person_two_organisations(app: &App) {
    let (dana_acme, dana_globex) = (token("dana", "acme"), token("dana", "globex"));
    let carol = token("carol", "globex");
    let mine = app.create(&dana_acme, "dana's acme plan").await;
    let theirs = app.create(&carol, "globex roadmap").await;
    let before = rows::all(&app.pool).await;
    assert_eq!(
        rows::note(&app.pool, mine).await,
        Some(stored("acme", "dana", "dana's acme plan", 1, false))
    );

    let path = format!("/notes/{mine}");
    let as_globex = |method: &'static str, path: String, body: Option<&'static str>| {
        let token = dana_globex.clone();
        async move { app.call(method, &path, &token, body).await }
    };
    as_globex("GET", path.clone(), None)
        .await
        .problem(404, "not_found");
    as_globex("PUT", path.clone(), Some(r#"{"title":"moved"}"#))
        .await
        .problem(404, "not_found");
    // Not a 412 either: a stale version is news only for who may write the note.
    app.send(
        "PUT",
        &path,
        Some(&dana_globex),
        &[("if-match", "\"7\"")],
        Some(r#"{"title":"moved"}"#),
    )
    .await
    .problem(404, "not_found");
    as_globex("POST", format!("{path}/archive"), None)
        .await
        .problem(404, "not_found");
    as_globex(
        "POST",
        format!("{path}/transfer"),
        Some(r#"{"to":"carol"}"#),
    )
    .await
    .problem(404, "not_found");
    as_globex("DELETE", path.clone(), None)
        .await
        .problem(404, "not_found");

    // Her globex list is globex's notes alone; her acme list has hers and not globex's.
    let listed = as_globex("GET", "/notes".into(), None).await.ok(200);
    let ids: Vec<_> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|n| n["id"].clone())
        .collect();
    assert_eq!(ids, [serde_json::json!(theirs)], "{listed}");
    let listed = app.call("GET", "/notes", &dana_acme, None).await.ok(200);
    assert!(
        listed
            .as_array()
            .expect("a list")
            .iter()
            .all(|n| n["org"] == "acme"),
        "{listed}"
    );
    app.call("GET", &format!("/notes/{theirs}"), &dana_acme, None)
        .await
        .problem(404, "not_found");

    assert_eq!(
        rows::all(&app.pool).await,
        before,
        "a refusal changed a row"
    );
    // The same note, with the token of its organisation: hers.
    let own = app.call("GET", &path, &dana_acme, None).await.ok(200);
    assert_eq!(
        (&own["org"], &own["owner"]),
        (&"acme".into(), &"dana".into())
    );
}

/// Carol administers globex: its delete grant does not reach a note of acme, whichever
/// organisation her token names.
async fn an_administrator_of_another_organisation(app: &App) {
    let bob = token("bob", "acme");
    let id = app.create(&bob, "acme budget").await;
    let before = rows::all(&app.pool).await;
    for org in ["globex", "acme"] {
        let carol = token("carol", org);
        app.call("DELETE", &format!("/notes/{id}"), &carol, None)
            .await
            .problem(404, "not_found");
    }
    assert_eq!(rows::all(&app.pool).await, before);
    assert_eq!(
        rows::note(&app.pool, id).await,
        Some(stored("acme", "bob", "acme budget", 1, false))
    );
}

/// Bob is in acme only. A token naming globex (or an organisation nobody is in) passes
/// verification, then sees nothing and creates nothing: the INSERT's SELECT checks the
/// membership of the row it would make.
async fn a_token_for_an_organisation_its_user_is_not_in(app: &App) {
    let bob_acme = token("bob", "acme");
    let acme_note = app.create(&bob_acme, "acme only").await;
    for org in ["globex", "initech"] {
        let bob = token("bob", org);
        let before = rows::all(&app.pool).await;
        app.call("POST", "/notes", &bob, Some(r#"{"title":"smuggled"}"#))
            .await
            .problem(404, "not_found");
        assert_eq!(rows::all(&app.pool).await, before, "{org}: a row was made");
        let listed = app.call("GET", "/notes", &bob, None).await.ok(200);
        assert_eq!(listed, serde_json::json!([]), "{org}");
        app.call("GET", &format!("/notes/{acme_note}"), &bob, None)
            .await
            .problem(404, "not_found");
    }
    let smuggled = rows::all(&app.pool)
        .await
        .into_iter()
        .filter(|(_, (_, _, title, _, _))| title == "smuggled")
        .count();
    assert_eq!(smuggled, 0);
}

/// Dana leaves globex: the token she holds for it sees nothing and writes nothing from the
/// next statement on, her own globex note included; back in, it is hers again.
async fn a_member_removed(app: &App) {
    let dana = token("dana", "globex");
    let id = app.create(&dana, "dana's globex note").await;
    let path = format!("/notes/{id}");
    rows::exec(
        &app.pool,
        "DELETE FROM members WHERE org_id = 'globex' AND user_id = 'dana'",
    )
    .await;
    let before = rows::all(&app.pool).await;
    app.call("GET", &path, &dana, None)
        .await
        .problem(404, "not_found");
    app.call("PUT", &path, &dana, Some(r#"{"title":"still mine"}"#))
        .await
        .problem(404, "not_found");
    app.call("DELETE", &path, &dana, None)
        .await
        .problem(404, "not_found");
    app.call("POST", "/notes", &dana, Some(r#"{"title":"left"}"#))
        .await
        .problem(404, "not_found");
    assert_eq!(rows::all(&app.pool).await, before);
    rows::exec(
        &app.pool,
        "INSERT INTO members (org_id, user_id, role) VALUES ('globex', 'dana', 'member')",
    )
    .await;
    app.call("DELETE", &path, &dana, None).await.ok(204);
    assert_eq!(rows::note(&app.pool, id).await, None);
}
