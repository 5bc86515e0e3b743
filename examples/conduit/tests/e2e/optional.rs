//! Optional sign-in: the article list, an article and a profile answer anyone, and a reader
//! who signed in also sees their own `favorited` and `following`. Credentials that were sent
//! and are bad are a 401, never an anonymous answer; reads change no row.

use serde_json::Value;

use crate::server::{Auth, Server, User};
use crate::tokens::{expired, forged, fresh};

const DRAGON: &str = "/api/articles/how-to-train-your-dragon";
const ROUTES: [&str; 5] = [
    "/api/articles",
    "/api/articles?author=alice",
    DRAGON,
    "/api/profiles/alice",
    "/api/articles/feed",
];

/// Every row the optional routes read, as the database holds them.
type Rows = (
    Vec<(String, i64)>,
    Vec<(String, String)>,
    Vec<(String, String, String)>,
);

fn rows(s: &Server) -> Rows {
    use crate::server::read;
    (
        read(
            &s.url,
            "SELECT user_id, article_id FROM favorites ORDER BY user_id, article_id",
        ),
        read(
            &s.url,
            "SELECT follower_id, followee FROM follows ORDER BY follower_id, followee",
        ),
        read(
            &s.url,
            "SELECT slug, body, author_id FROM articles ORDER BY slug",
        ),
    )
}

/// `slug -> favorited` of the list `auth` reads, checking every count against the database.
fn favorited(s: &Server, auth: Auth<'_>) -> Vec<(String, bool)> {
    let reply = s.call("GET", "/api/articles", auth, None);
    let list = reply.ok(200);
    let articles = list["articles"].as_array().expect("a list");
    assert_eq!(
        i64::try_from(articles.len()).expect("a length"),
        s.count("SELECT COUNT(*) FROM articles")
    );
    articles
        .iter()
        .map(|a| {
            let slug = a["slug"].as_str().expect("a slug").to_owned();
            // Everyone's favorites, whoever reads: the count is not narrowed to the reader's.
            let count = s.count(&format!(
                "SELECT COUNT(*) FROM favorites f JOIN articles a ON a.id = f.article_id \
                 WHERE a.slug = '{slug}'"
            ));
            assert_eq!(a["favoritesCount"], count, "{slug}");
            (slug, a["favorited"].as_bool().expect("favorited is a bool"))
        })
        .collect()
}

fn favorites_of(list: &[(String, bool)]) -> Vec<&str> {
    list.iter()
        .filter(|(_, favorited)| *favorited)
        .map(|(slug, _)| slug.as_str())
        .collect()
}

pub fn signed_in_or_not(s: &Server, alice: &User, bob: &User, carol: &User) {
    let before = rows(s);
    // Bob and Carol favorited the dragon (`favorites`); Alice favorites another article.
    s.call(
        "POST",
        "/api/articles/signed-in/favorite",
        Auth::Token(alice),
        None,
    )
    .ok(204);

    let anonymous = favorited(s, Auth::None);
    assert_eq!(anonymous.len(), 3);
    assert!(favorites_of(&anonymous).is_empty(), "{anonymous:?}");
    // An anonymous reader's feed: 200 and empty, as for a reader who follows no one.
    let feed = s.call("GET", "/api/articles/feed", Auth::None, None);
    assert_eq!(feed.ok(200)["articlesCount"], 0);
    let dragon = ["how-to-train-your-dragon"];
    assert_eq!(favorites_of(&favorited(s, Auth::Token(bob))), dragon);
    assert_eq!(favorites_of(&favorited(s, Auth::Cookie(carol))), dragon);
    assert_eq!(
        favorites_of(&favorited(s, Auth::Token(alice))),
        ["signed-in"]
    );
    // The author's own answer to a change says it too (the body it already has: no row moves).
    let same = serde_json::json!({"article": {"body": "twice"}});
    let reply = s.call(
        "PUT",
        "/api/articles/signed-in",
        Auth::Token(alice),
        Some(same),
    );
    assert_eq!(reply.ok(200)["article"]["favorited"], true);
    // A token the server signed just now is a reader like any other: the control for the
    // expired one below, which differs from it in its times only.
    let token = fresh(&bob.name);
    assert_eq!(favorites_of(&favorited(s, Auth::Raw(&token))), dragon);
    // The author filter keeps the reader's favorites on the page it filters.
    let reply = s.call("GET", "/api/articles?author=alice", Auth::Token(bob), None);
    let page = reply.ok(200)["articles"].clone();
    let marked: Vec<&Value> = page.as_array().expect("a list").iter().collect();
    assert_eq!(marked.len(), 3);
    assert!(
        marked
            .iter()
            .all(|a| a["favorited"] == (a["slug"] == "how-to-train-your-dragon"))
    );

    // One article, as the list shows it.
    let one = |auth| s.call("GET", DRAGON, auth, None).ok(200)["article"].clone();
    assert_eq!(one(Auth::None)["favorited"], false);
    assert_eq!(one(Auth::None)["favoritesCount"], 2);
    assert_eq!(one(Auth::Token(bob))["favorited"], true);
    assert_eq!(one(Auth::Token(alice))["favorited"], false);
    s.call(
        "GET",
        "/api/articles/no-such-article",
        Auth::Token(bob),
        None,
    )
    .error(404, "article");

    profiles(s, alice, bob, carol);
    bad_credentials(s, bob);

    s.call(
        "DELETE",
        "/api/articles/signed-in/favorite",
        Auth::Token(alice),
        None,
    )
    .ok(204);
    assert_eq!(rows(s), before);
}

/// `following` is the reader's own follow, false for anyone who did not sign in.
fn profiles(s: &Server, alice: &User, bob: &User, carol: &User) {
    let following = |auth| {
        let reply = s.call("GET", "/api/profiles/alice", auth, None);
        let profile = reply.ok(200)["profile"].clone();
        assert_eq!(profile["username"], "alice");
        profile["following"].as_bool().expect("following is a bool")
    };
    assert!(!following(Auth::Token(bob)));
    s.call("POST", "/api/profiles/alice/follow", Auth::Token(bob), None)
        .ok(200);
    assert!(following(Auth::Token(bob)));
    assert!(following(Auth::Cookie(bob)));
    assert!(!following(Auth::None));
    assert!(!following(Auth::Token(carol)));
    assert!(!following(Auth::Token(alice)));
    s.call("GET", "/api/profiles/nobody", Auth::None, None)
        .error(404, "profile");
    s.call("GET", "/api/profiles/nobody", Auth::Token(bob), None)
        .error(404, "profile");
    s.call(
        "DELETE",
        "/api/profiles/alice/follow",
        Auth::Token(bob),
        None,
    )
    .ok(200);
    assert!(!following(Auth::Token(bob)));
}

/// Sent and bad: 401 on every optional route, in the app's format, with the app's challenge;
/// never the anonymous answer. Both credentials at once: 400.
fn bad_credentials(s: &Server, bob: &User) {
    let before = rows(s);
    let forged = forged(&bob.name);
    let expired = expired(&bob.name);
    let bearer = format!("Bearer {}", bob.token);
    let bad = [
        ("a forged token", Auth::Raw(&forged)),
        ("an expired token", Auth::Raw(&expired)),
        ("another scheme", Auth::Header(&bearer)),
        ("a scheme alone", Auth::Header("Token")),
        ("not a token", Auth::Raw("not.a.jwt")),
        ("a forged cookie", Auth::RawCookie(&forged)),
        ("an expired cookie", Auth::RawCookie(&expired)),
    ];
    for route in ROUTES {
        for (what, auth) in bad {
            let reply = s.call("GET", route, auth, None);
            assert_eq!(reply.status, 401, "{what} on {route}: {}", reply.json);
            reply.error(401, "token");
            assert_eq!(
                reply.challenge.as_deref(),
                Some("Token"),
                "{what} on {route}"
            );
        }
        s.call("GET", route, Auth::Both(bob), None)
            .error(400, "token");
    }
    assert_eq!(rows(s), before);
}

/// A signed-out token is refused on the optional routes as on the others: the reader's own
/// rows it would read carry the policy's `[token] valid`.
pub fn revoked_is_not_anonymous(s: &Server, bob: &User) {
    let before = rows(s);
    for route in ROUTES {
        let reply = s.call("GET", route, Auth::Token(bob), None);
        assert_eq!(
            reply.status, 401,
            "a revoked token on {route}: {}",
            reply.json
        );
        reply.error(401, "token");
        let reply = s.call("GET", route, Auth::Cookie(bob), None);
        assert_eq!(
            reply.status, 401,
            "a revoked cookie on {route}: {}",
            reply.json
        );
        s.call("GET", route, Auth::None, None).ok(200);
    }
    assert_eq!(rows(s), before);
}
