//! The rules of the demo's `guarded.toml` over HTTP: shares, archive, administrators,
//! logout, and If-Match under a race. Each part uses users of its own.

use crate::basics::create;
use crate::rows;
use crate::server::{JSON, Server, token_for};

pub fn run(server: &Server) {
    shares(server);
    archive(server);
    administrators(server);
    logout(server);
    logout_all(server);
    if_match_race(server);
}

fn share(server: &Server, path: &str, token: &str, user: &str, can_write: bool) -> u16 {
    let body = format!(r#"{{"can_write":{can_write}}}"#);
    server
        .call("PUT", &format!("{path}/shares/{user}"), token, Some(&body))
        .status
}

/// The row `rows::item` reads.
fn row(title: &str, owner: &str, version: i64, archived: bool) -> (String, String, i64, bool) {
    (title.into(), owner.into(), version, archived)
}

/// A read share lets its grantee read; a write share, change the title; no share lets its
/// grantee delete, transfer, archive or share. Only the owner manages shares.
fn shares(server: &Server) {
    let (olga, gus, sam) = (token_for("olga"), token_for("gus"), token_for("sam"));
    let (id, path) = create(server, &olga, "plan");

    assert_eq!(share(server, &path, &olga, "gus", false), 204);
    assert_eq!(rows::shares(&server.url, id), [("gus".into(), false)]);
    assert_eq!(
        server.call("GET", &path, &gus, None).ok(200)["access"],
        "read"
    );
    let listed = server.call("GET", "/items", &gus, None).ok(200);
    assert_eq!(
        (&listed[0]["id"], &listed[0]["access"]),
        (&id.into(), &"read".into())
    );
    server
        .call("PUT", &path, &gus, Some(r#"{"title":"gus's"}"#))
        .problem(404, "not_found");
    assert_eq!(
        rows::item(&server.url, id),
        Some(row("plan", "olga", 1, false))
    );

    assert_eq!(share(server, &path, &olga, "gus", true), 204);
    assert_eq!(rows::shares(&server.url, id), [("gus".into(), true)]);
    let written = server
        .call("PUT", &path, &gus, Some(r#"{"title":"gus's"}"#))
        .ok(200);
    assert_eq!(
        (&written["access"], &written["version"]),
        (&"write".into(), &2.into())
    );
    assert_eq!(
        rows::item(&server.url, id),
        Some(row("gus's", "olga", 2, false))
    );

    // Never the grantee's, nor a stranger's: each is a 404 and changes nothing.
    server
        .call("DELETE", &path, &gus, None)
        .problem(404, "not_found");
    let transfer = format!("{path}/transfer");
    server
        .call("POST", &transfer, &gus, Some(r#"{"to":"gus"}"#))
        .problem(404, "not_found");
    server
        .call("POST", &format!("{path}/archive"), &gus, None)
        .problem(404, "not_found");
    assert_eq!(share(server, &path, &gus, "sam", true), 404);
    assert_eq!(share(server, &path, &sam, "sam", true), 404);
    server
        .call("DELETE", &format!("{path}/shares/gus"), &gus, None)
        .problem(404, "not_found");
    assert_eq!(
        rows::item(&server.url, id),
        Some(row("gus's", "olga", 2, false))
    );
    assert_eq!(rows::shares(&server.url, id), [("gus".into(), true)]);

    server
        .call("DELETE", &format!("{path}/shares/gus"), &olga, None)
        .ok(204);
    server
        .call("DELETE", &format!("{path}/shares/gus"), &olga, None)
        .ok(204);
    assert_eq!(rows::shares(&server.url, id), []);
    server
        .call("GET", &path, &gus, None)
        .problem(404, "not_found");
    server
        .call("PUT", &path, &gus, Some(r#"{"title":"late"}"#))
        .problem(404, "not_found");
    assert_eq!(
        rows::item(&server.url, id),
        Some(row("gus's", "olga", 2, false))
    );
}

/// An archived item refuses every update with 409 `archived`, to those who could otherwise
/// write it; a stranger still gets 404. Reads and the owner's delete work.
fn archive(server: &Server) {
    let (olga, gus, sam) = (token_for("olga"), token_for("gus"), token_for("sam"));
    let (id, path) = create(server, &olga, "report");
    assert_eq!(share(server, &path, &olga, "gus", true), 204);
    let archived = server
        .call("POST", &format!("{path}/archive"), &olga, None)
        .ok(200);
    assert_eq!(
        (&archived["archived"], &archived["version"]),
        (&true.into(), &2.into())
    );

    let rename = Some(r#"{"title":"again"}"#);
    server
        .call("PUT", &path, &olga, rename)
        .problem(409, "archived");
    server
        .call("PUT", &path, &gus, rename)
        .problem(409, "archived");
    server
        .call("PUT", &path, &sam, rename)
        .problem(404, "not_found");
    server
        .call(
            "POST",
            &format!("{path}/transfer"),
            &olga,
            Some(r#"{"to":"sam"}"#),
        )
        .problem(409, "archived");
    server
        .call("POST", &format!("{path}/archive"), &olga, None)
        .problem(409, "archived");
    assert_eq!(share(server, &path, &olga, "sam", false), 409);
    server
        .call("DELETE", &format!("{path}/shares/gus"), &olga, None)
        .problem(409, "archived");
    assert_eq!(
        rows::item(&server.url, id),
        Some(row("report", "olga", 2, true))
    );
    assert_eq!(rows::shares(&server.url, id), [("gus".into(), true)]);

    assert_eq!(
        server.call("GET", &path, &gus, None).ok(200)["archived"],
        true
    );
    server.call("DELETE", &path, &olga, None).ok(204);
    assert_eq!(rows::item(&server.url, id), None);
}

/// `items_api role` changes what the next statement decides, with the token unchanged.
fn administrators(server: &Server) {
    let (olga, ada) = (token_for("olga"), token_for("ada"));
    let (first, first_path) = create(server, &olga, "first");
    let (second, second_path) = create(server, &olga, "second");
    server
        .call("DELETE", &first_path, &ada, None)
        .problem(404, "not_found");
    assert!(rows::item(&server.url, first).is_some());

    server.set_role("ada", "admin");
    // The role grants deletes only.
    server
        .call("PUT", &second_path, &ada, Some(r#"{"title":"admin's"}"#))
        .problem(404, "not_found");
    server.call("DELETE", &first_path, &ada, None).ok(204);
    assert_eq!(rows::item(&server.url, first), None);

    server.set_role("ada", "user");
    server
        .call("DELETE", &second_path, &ada, None)
        .problem(404, "not_found");
    assert_eq!(
        rows::item(&server.url, second),
        Some(row("second", "olga", 1, false))
    );
}

/// After `POST /auth/logout` answers, the token is refused everywhere (401 `revoked`), and
/// none of its writes happen; the user's other tokens still work.
fn logout(server: &Server) {
    let (lou, other) = (token_for("lou"), token_for("lou"));
    let (id, path) = create(server, &lou, "draft");
    server.call("POST", "/auth/logout", &lou, None).ok(204);

    server
        .call("GET", &path, &lou, None)
        .problem(401, "revoked");
    server
        .call("PUT", &path, &lou, Some(r#"{"title":"after"}"#))
        .problem(401, "revoked");
    server
        .call("DELETE", &path, &lou, None)
        .problem(401, "revoked");
    server
        .call("POST", "/items", &lou, Some(r#"{"title":"after"}"#))
        .problem(401, "revoked");
    server
        .call("POST", "/auth/logout", &lou, None)
        .problem(401, "revoked");
    assert_eq!(
        rows::item(&server.url, id),
        Some(row("draft", "lou", 1, false))
    );
    let theirs = server.call("GET", "/items", &other, None).ok(200);
    assert_eq!(theirs.as_array().map(Vec::len), Some(1), "{theirs}");
}

/// `POST /auth/logout-all` voids every token of the caller issued up to that second; one
/// issued later works.
fn logout_all(server: &Server) {
    let (first, second) = (token_for("max"), token_for("max"));
    let (id, path) = create(server, &first, "mine");
    server
        .call("POST", "/auth/logout-all", &first, None)
        .ok(204);

    server
        .call("GET", &path, &first, None)
        .problem(401, "revoked");
    server
        .call("PUT", &path, &second, Some(r#"{"title":"after"}"#))
        .problem(401, "revoked");
    assert_eq!(
        rows::item(&server.url, id),
        Some(row("mine", "max", 1, false))
    );
    // `iat` counts seconds: a token of the next second is after the cut-off.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    server.call("GET", &path, &token_for("max"), None).ok(200);
}

/// Concurrent PUTs with the same `If-Match`: exactly one wins, every other is a 412, and the
/// row moved one version per round.
fn if_match_race(server: &Server) {
    const WRITERS: usize = 8;
    let olga = token_for("olga");
    let (id, path) = create(server, &olga, "race");
    for round in 1..=5 {
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let writers: Vec<_> = (0..WRITERS)
                .map(|writer| {
                    let (path, olga) = (&path, &olga);
                    scope.spawn(move || {
                        let if_match = format!("\"{round}\"");
                        let body = format!(r#"{{"title":"w{writer}"}}"#);
                        let headers = [JSON, ("If-Match", if_match.as_str())];
                        server
                            .http("PUT", path, Some(olga), &headers, Some(&body))
                            .status
                    })
                })
                .collect();
            writers
                .into_iter()
                .map(|w| w.join().expect("a writer"))
                .collect()
        });
        let won = statuses.iter().filter(|&&s| s == 200).count();
        let stale = statuses.iter().filter(|&&s| s == 412).count();
        assert_eq!(
            (won, stale),
            (1, WRITERS - 1),
            "round {round}: {statuses:?}"
        );
        let (_, _, version, _) = rows::item(&server.url, id).expect("the item");
        assert_eq!(version, round + 1);
    }
}
