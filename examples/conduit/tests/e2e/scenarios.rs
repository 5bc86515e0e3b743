//! What a user of the API does, and what another user must not be able to do to them.

use serde_json::json;

use crate::optional;
use crate::server::{Auth, Server, User};
use crate::tokens::forged;

pub fn run(s: &Server) {
    let alice = s.sign_up("alice");
    let bob = s.sign_up("bob");
    let carol = s.sign_up("carol");
    signing_up_and_in(s, &alice);
    credentials(s, &alice);
    articles(s, &alice, &bob);
    comments(s, &alice, &bob, &carol);
    favorites(s, &alice, &bob, &carol);
    follows_and_feed(s, &alice, &bob, &carol);
    optional::signed_in_or_not(s, &alice, &bob, &carol);
    signing_out(s, &bob);
    optional::revoked_is_not_anonymous(s, &bob);
    deleting_an_article_takes_its_discussion(s, &alice);
}

fn signing_up_and_in(s: &Server, alice: &User) {
    let again = json!({"user": {"username": "alice", "password": "another-password"}});
    s.call("POST", "/api/users", Auth::None, Some(again))
        .error(422, "username");
    assert_eq!(
        s.count("SELECT COUNT(*) FROM users WHERE username = 'alice'"),
        1
    );

    let wrong = json!({"user": {"username": "alice", "password": "not-her-password"}});
    let reply = s.call("POST", "/api/users/login", Auth::None, Some(wrong));
    reply.error(401, "token");
    assert!(reply.set_cookie.is_none());
    let right = json!({"user": {"username": "alice", "password": "alice-password"}});
    let reply = s.call("POST", "/api/users/login", Auth::None, Some(right));
    assert_eq!(reply.ok(200)["user"]["username"], "alice");
    assert!(reply.set_cookie.is_some());
    // Her first token still works next to the new one.
    let body = json!({"article": {"title": "Signed in", "body": "twice"}});
    s.call("POST", "/api/articles", Auth::Token(alice), Some(body))
        .ok(201);
}

/// The guard reads `Authorization: Token` or the `session` cookie, and answers a refusal in
/// the app's own format; nothing is written by a refused request.
fn credentials(s: &Server, alice: &User) {
    let articles = || s.count("SELECT COUNT(*) FROM articles");
    let before = articles();
    let body = || Some(json!({"article": {"title": "Refused", "body": "never stored"}}));

    let reply = s.call("POST", "/api/articles", Auth::None, body());
    reply.error(401, "token");
    assert_eq!(reply.challenge.as_deref(), Some("Token"));
    s.call("POST", "/api/articles", Auth::Raw("not.a.jwt"), body())
        .error(401, "token");
    let forged = forged(&alice.name);
    s.call("POST", "/api/articles", Auth::Raw(&forged), body())
        .error(401, "token");
    s.call("POST", "/api/articles", Auth::Both(alice), body())
        .error(400, "token");
    assert_eq!(articles(), before);

    let by_cookie = json!({"article": {"title": "By cookie", "body": "from a browser"}});
    let reply = s.call(
        "POST",
        "/api/articles",
        Auth::Cookie(alice),
        Some(by_cookie),
    );
    assert_eq!(reply.ok(201)["article"]["author"], "alice");
    assert_eq!(articles(), before + 1);
}

fn articles(s: &Server, alice: &User, bob: &User) {
    let body = json!({"article": {"title": "How to train your dragon", "body": "Carefully."}});
    let reply = s.call(
        "POST",
        "/api/articles",
        Auth::Token(alice),
        Some(body.clone()),
    );
    let article = reply.ok(201)["article"].clone();
    assert_eq!(article["slug"], "how-to-train-your-dragon");
    assert_eq!(article["author"], "alice");
    let dragon = "/api/articles/how-to-train-your-dragon";
    let stored = || {
        crate::server::read::<(String, String, String)>(
            &s.url,
            "SELECT title, body, author_id FROM articles WHERE slug = 'how-to-train-your-dragon'",
        )
    };
    let original = stored();
    assert_eq!(original.len(), 1);

    // The same title again: the unique slug, mapped to the app's 422 in one `match`.
    s.call("POST", "/api/articles", Auth::Token(bob), Some(body))
        .error(422, "title");
    // The author comes from the token, never from the body.
    let claimed = json!({"article": {"title": "Bob's", "body": "x", "author": "alice"}});
    s.call("POST", "/api/articles", Auth::Token(bob), Some(claimed))
        .error(422, "body");
    assert_eq!(
        s.count("SELECT COUNT(*) FROM articles WHERE author_id = 'bob'"),
        0
    );

    // Another author's article: 403 (deny = 403), untouched; a missing one: 404.
    let change = || Some(json!({"article": {"body": "Bob was here."}}));
    s.call("PUT", dragon, Auth::Token(bob), change())
        .error(403, "author");
    s.call("DELETE", dragon, Auth::Cookie(bob), None)
        .error(403, "author");
    assert_eq!(stored(), original);
    s.call(
        "PUT",
        "/api/articles/no-such-article",
        Auth::Token(bob),
        change(),
    )
    .error(404, "resource");

    let reply = s.call(
        "PUT",
        dragon,
        Auth::Token(alice),
        Some(json!({"article": {"body": "With patience."}})),
    );
    assert_eq!(reply.ok(200)["article"]["body"], "With patience.");
    assert_eq!(stored()[0].1, "With patience.");

    // Reads are public.
    let reply = s.call("GET", dragon, Auth::None, None);
    assert_eq!(reply.ok(200)["article"]["favoritesCount"], 0);
    let list = s.call("GET", "/api/articles?author=alice", Auth::None, None);
    assert!(
        list.ok(200)["articles"]
            .as_array()
            .is_some_and(|a| a.len() == 3)
    );
}

fn comments(s: &Server, alice: &User, bob: &User, carol: &User) {
    let path = "/api/articles/how-to-train-your-dragon/comments";
    let say = |user: &User, text: &str| {
        let reply = s.call(
            "POST",
            path,
            Auth::Token(user),
            Some(json!({"comment": {"body": text}})),
        );
        reply.ok(201)["comment"]["id"].as_i64().expect("an id")
    };
    let bobs = say(bob, "Which dragon?");
    let carols = say(carol, "All of them.");
    s.call(
        "POST",
        "/api/articles/no-such-article/comments",
        Auth::Token(bob),
        Some(json!({"comment": {"body": "?"}})),
    )
    .error(404, "resource");

    // Not the author of the comment: 404 and the comment stays, whoever wrote the article.
    s.call(
        "DELETE",
        &format!("{path}/{bobs}"),
        Auth::Token(alice),
        None,
    )
    .error(404, "resource");
    s.call(
        "DELETE",
        &format!("{path}/{bobs}"),
        Auth::Token(carol),
        None,
    )
    .error(404, "resource");
    // Its own id under another article's slug is not it either.
    s.call(
        "DELETE",
        &format!("/api/articles/by-cookie/comments/{bobs}"),
        Auth::Token(bob),
        None,
    )
    .error(404, "resource");
    assert_eq!(
        s.count(&format!("SELECT COUNT(*) FROM comments WHERE id = {bobs}")),
        1
    );

    s.call("DELETE", &format!("{path}/{bobs}"), Auth::Token(bob), None)
        .ok(204);
    assert_eq!(
        s.count(&format!("SELECT COUNT(*) FROM comments WHERE id = {bobs}")),
        0
    );
    let list = s.call("GET", path, Auth::None, None);
    let list = list.ok(200)["comments"].clone();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], carols);
}

fn favorites(s: &Server, alice: &User, bob: &User, carol: &User) {
    let path = "/api/articles/how-to-train-your-dragon/favorite";
    let favorites = |user: &str| {
        s.count(&format!(
            "SELECT COUNT(*) FROM favorites WHERE user_id = '{user}'"
        ))
    };
    // Idempotent both ways: twice is once.
    for _ in 0..2 {
        s.call("POST", path, Auth::Token(bob), None).ok(204);
    }
    s.call("POST", path, Auth::Cookie(carol), None).ok(204);
    assert_eq!((favorites("bob"), favorites("carol")), (1, 1));
    s.call(
        "POST",
        "/api/articles/no-such-article/favorite",
        Auth::Token(bob),
        None,
    )
    .error(404, "article");
    let count = s.call(
        "GET",
        "/api/articles/how-to-train-your-dragon",
        Auth::None,
        None,
    );
    assert_eq!(count.ok(200)["article"]["favoritesCount"], 2);

    // Alice removing "her" favorite removes nobody's: the DELETE sees her rows only.
    s.call("DELETE", path, Auth::Token(alice), None).ok(204);
    assert_eq!((favorites("bob"), favorites("carol")), (1, 1));
    for _ in 0..2 {
        s.call("DELETE", path, Auth::Token(bob), None).ok(204);
    }
    assert_eq!((favorites("bob"), favorites("carol")), (0, 1));
    s.call(
        "DELETE",
        "/api/articles/no-such-article/favorite",
        Auth::Token(bob),
        None,
    )
    .ok(204);
    s.call("POST", path, Auth::Token(bob), None).ok(204);
}

fn follows_and_feed(s: &Server, alice: &User, bob: &User, carol: &User) {
    let follows = |user: &str| {
        s.count(&format!(
            "SELECT COUNT(*) FROM follows WHERE follower_id = '{user}'"
        ))
    };
    for _ in 0..2 {
        let reply = s.call("POST", "/api/profiles/alice/follow", Auth::Token(bob), None);
        assert_eq!(reply.ok(200)["profile"]["following"], true);
    }
    assert_eq!(follows("bob"), 1);
    s.call(
        "POST",
        "/api/profiles/nobody/follow",
        Auth::Token(bob),
        None,
    )
    .error(404, "profile");

    // Bob's feed: Alice's articles, each with Bob's own favorite.
    let feed = s.call("GET", "/api/articles/feed", Auth::Token(bob), None);
    let feed = feed.ok(200)["articles"].clone();
    let articles = feed.as_array().expect("a list");
    assert_eq!(articles.len(), 3);
    assert!(articles.iter().all(|a| a["author"] == "alice"));
    let dragon = articles
        .iter()
        .find(|a| a["slug"] == "how-to-train-your-dragon")
        .expect("the dragon");
    assert_eq!(dragon["favorited"], true);
    assert!(articles.iter().filter(|a| a["favorited"] == true).count() == 1);

    // Carol follows nobody: her feed is empty, not Bob's (the JOIN on follows sees her rows).
    let feed = s.call("GET", "/api/articles/feed", Auth::Token(carol), None);
    assert_eq!(feed.ok(200)["articlesCount"], 0);
    // Alice unfollowing Alice changes nobody's follows.
    s.call(
        "DELETE",
        "/api/profiles/alice/follow",
        Auth::Token(alice),
        None,
    )
    .ok(200);
    assert_eq!(follows("bob"), 1);
    let reply = s.call(
        "DELETE",
        "/api/profiles/alice/follow",
        Auth::Token(bob),
        None,
    );
    assert_eq!(reply.ok(200)["profile"]["following"], false);
    assert_eq!(follows("bob"), 0);
}

/// After signing out, the token is refused everywhere it is replayed from, and writes nothing.
fn signing_out(s: &Server, bob: &User) {
    let reply = s.call("POST", "/api/users/logout", Auth::Cookie(bob), None);
    reply.ok(204);
    assert!(reply.set_cookie.is_some_and(|c| c.contains("Max-Age=0")));
    let articles = || s.count("SELECT COUNT(*) FROM articles WHERE author_id = 'bob'");
    let before = articles();
    let body = || Some(json!({"article": {"title": "After logout", "body": "never stored"}}));
    s.call("POST", "/api/articles", Auth::Token(bob), body())
        .error(401, "token");
    s.call("POST", "/api/articles", Auth::Cookie(bob), body())
        .error(401, "token");
    s.call(
        "POST",
        "/api/articles/how-to-train-your-dragon/favorite",
        Auth::Token(bob),
        None,
    )
    .error(401, "token");
    assert_eq!(articles(), before);
    // A new sign-in is a new token.
    let again = json!({"user": {"username": "bob", "password": "bob-password"}});
    let reply = s.call("POST", "/api/users/login", Auth::None, Some(again));
    let token = reply.ok(200)["user"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    s.call("POST", "/api/articles", Auth::Raw(&token), body())
        .ok(201);
    assert_eq!(articles(), before + 1);
}

fn deleting_an_article_takes_its_discussion(s: &Server, alice: &User) {
    let of_dragon = |table: &str| {
        s.count(&format!(
            "SELECT COUNT(*) FROM {table} t JOIN articles a ON a.id = t.article_id \
             WHERE a.slug = 'how-to-train-your-dragon'"
        ))
    };
    assert_eq!((of_dragon("comments"), of_dragon("favorites")), (1, 2));
    let id: i64 = s.count("SELECT MAX(id) FROM articles WHERE slug = 'how-to-train-your-dragon'");
    s.call(
        "DELETE",
        "/api/articles/how-to-train-your-dragon",
        Auth::Token(alice),
        None,
    )
    .ok(204);
    for table in ["comments", "favorites"] {
        let left = s.count(&format!(
            "SELECT COUNT(*) FROM {table} WHERE article_id = {id}"
        ));
        assert_eq!(left, 0, "{table}");
    }
    s.call(
        "DELETE",
        "/api/articles/how-to-train-your-dragon",
        Auth::Token(alice),
        None,
    )
    .error(404, "resource");
}
