//! The demo's API on DynamoDB, against the local server `GUARDED_TEST_DYNAMODB` names: each
//! refusal is checked on the stored item, not only on the status.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use guarded::{Claims, DynamoDb, Guard, Verifier, guarded};
use guarded_testkit::dynamodb::{self, s};
use guarded_testkit::tokens;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

struct Api {
    router: Router,
    client: Client,
}

/// The router on the local server, or `None` (the test passes vacuously, saying so) when no
/// server is named: plain `cargo test` has none; `.ci/run` starts one.
async fn api() -> Option<Api> {
    let client = items_api_dynamodb::client(&dynamodb::endpoint()?);
    items_api_dynamodb::create_tables(&client)
        .await
        .expect("the table");
    let verifier = Verifier::hs256(SECRET).expect("a verifier");
    let router = items_api_dynamodb::router(client.clone(), verifier);
    Some(Api { router, client })
}

/// A fresh token of `sub`, with its own `jti` (the policy's revocation list looks it up).
fn token(sub: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let jti = format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    tokens::token_with(SECRET, sub, &json!({ "jti": jti }))
}

impl Api {
    /// A request with a fresh token of `user`, or none.
    async fn call(
        &self,
        method: &str,
        uri: &str,
        user: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let token = user.map(token);
        self.send(method, uri, token.as_deref(), headers, body)
            .await
    }

    /// A request with `token`, without headers.
    async fn with(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.send(method, uri, Some(token), &[], body).await
    }

    async fn send(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        let response = self
            .router
            .clone()
            .oneshot(request.body(body).expect("a request"))
            .await
            .expect("a response");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    /// A new item of `owner`, and its id.
    async fn create(&self, owner: &str, title: &str) -> i64 {
        let (status, item) = self
            .call(
                "POST",
                "/items",
                Some(owner),
                &[],
                Some(json!({ "title": title })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{item}");
        item["id"].as_i64().expect("an id")
    }

    /// The item as stored, read past every guard.
    async fn stored(&self, id: i64) -> Option<HashMap<String, AttributeValue>> {
        self.client
            .get_item()
            .table_name(items_api_dynamodb::TABLE)
            .key("id", AttributeValue::S(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .expect("a read")
            .item
    }

    /// The item's shares as stored: each grantee and whether they may write.
    async fn shares(&self, id: i64) -> Vec<(String, bool)> {
        let page = self
            .client
            .query()
            .table_name("shares")
            .key_condition_expression("item_id = :id")
            .expression_attribute_values(":id", s(&id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .expect("a query");
        let mut shares: Vec<(String, bool)> = page
            .items()
            .iter()
            .map(|share| {
                let user = match share.get("user_id") {
                    Some(AttributeValue::S(u)) => u.clone(),
                    _ => String::new(),
                };
                let can_write = share.get("can_write") == Some(&AttributeValue::Bool(true));
                (user, can_write)
            })
            .collect();
        shares.sort();
        shares
    }

    /// Sets `user`'s role in the users table, as `items_api role` does.
    async fn set_role(&self, user: &str, role: &str) {
        items_api_dynamodb::set_role(&self.client, user, role)
            .await
            .expect("the role");
    }

    /// `PUT {path}/shares/{user}` by `owner`: its status.
    async fn share(&self, path: &str, owner: &str, user: &str, can_write: bool) -> StatusCode {
        let uri = format!("{path}/shares/{user}");
        let body = Some(json!({ "can_write": can_write }));
        self.call("PUT", &uri, Some(owner), &[], body).await.0
    }
}

fn user(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

#[tokio::test]
async fn a_stranger_reads_and_changes_nothing_of_anothers_item() {
    let Some(api) = api().await else { return };
    let (alice, mallory) = (user("alice"), user("mallory"));
    let id = api.create(&alice, "plans").await;
    let before = api.stored(id).await.expect("created");
    assert_eq!(before["owner_id"], s(&alice));
    let path = format!("/items/{id}");
    let title = Some(json!({ "title": "mine now" }));
    let to = Some(json!({ "to": mallory }));
    for (method, uri, body) in [
        ("GET", path.clone(), None),
        ("PUT", path.clone(), title),
        ("POST", format!("{path}/transfer"), to),
        ("POST", format!("{path}/archive"), None),
        ("DELETE", path.clone(), None),
    ] {
        let (status, problem) = api.call(method, &uri, Some(&mallory), &[], body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}: {problem}");
        assert_eq!(
            api.stored(id).await.as_ref(),
            Some(&before),
            "{method} {uri}"
        );
    }
    let (status, list) = api.call("GET", "/items", Some(&mallory), &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.as_array()
            .expect("a list")
            .iter()
            .all(|i| i["id"] != id),
        "{list}"
    );
}

#[tokio::test]
async fn the_owner_works_the_item_and_the_body_cannot_choose_an_owner() {
    let Some(api) = api().await else { return };
    let (alice, bob) = (user("alice2"), user("bob2"));
    let (status, _) = api
        .call(
            "POST",
            "/items",
            Some(&alice),
            &[],
            Some(json!({ "title": "x", "owner_id": bob })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let id = api.create(&alice, "draft").await;
    let path = format!("/items/{id}");
    let (status, item) = api
        .call(
            "PUT",
            &path,
            Some(&alice),
            &[],
            Some(json!({ "title": "final" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(
        (item["title"].as_str(), item["version"].as_i64()),
        (Some("final"), Some(2))
    );
    let (status, list) = api.call("GET", "/items", Some(&alice), &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.as_array()
            .expect("a list")
            .iter()
            .any(|i| i["id"] == id)
    );
    let (status, item) = api
        .call(
            "POST",
            &format!("{path}/transfer"),
            Some(&alice),
            &[],
            Some(json!({ "to": bob })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(api.stored(id).await.expect("kept")["owner_id"], s(&bob));
    let (status, _) = api.call("DELETE", &path, Some(&alice), &[], None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no longer alice's");
    let (status, _) = api.call("DELETE", &path, Some(&bob), &[], None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(api.stored(id).await.is_none());
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_an_archived_item_is_409_both_decided_by_the_write() {
    let Some(api) = api().await else { return };
    let alice = user("alice3");
    let id = api.create(&alice, "v1").await;
    let path = format!("/items/{id}");
    let title = || Some(json!({ "title": "v2" }));
    let (status, item) = api
        .call(
            "PUT",
            &path,
            Some(&alice),
            &[("if-match", "\"1\"")],
            title(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    let (status, problem) = api
        .call(
            "PUT",
            &path,
            Some(&alice),
            &[("if-match", "\"1\"")],
            title(),
        )
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{problem}");
    assert_eq!(
        api.stored(id).await.expect("kept")["version"],
        AttributeValue::N("2".into())
    );

    let (status, item) = api
        .call("POST", &format!("{path}/archive"), Some(&alice), &[], None)
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    let before = api.stored(id).await.expect("kept");
    for headers in [
        &[][..],
        &[("if-match", "\"3\"")][..],
        &[("if-match", "\"1\"")][..],
    ] {
        let (status, problem) = api.call("PUT", &path, Some(&alice), headers, title()).await;
        assert_eq!(status, StatusCode::CONFLICT, "{headers:?}: {problem}");
        assert_eq!(problem["code"], "archived");
    }
    let (status, problem) = api
        .call(
            "POST",
            &format!("{path}/transfer"),
            Some(&alice),
            &[],
            Some(json!({ "to": "x" })),
        )
        .await;
    assert_eq!(
        (status, &problem["code"]),
        (StatusCode::CONFLICT, &json!("archived"))
    );
    assert_eq!(api.stored(id).await.as_ref(), Some(&before));
    let (status, _) = api.call("DELETE", &path, Some(&alice), &[], None).await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "an archived item can be deleted"
    );
}

#[tokio::test]
async fn tokens_are_required() {
    let Some(api) = api().await else { return };
    let (status, _) = api.call("GET", "/items", None, &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let alice = user("alice4");
    let (status, _) = api
        .call("GET", "/items/7/missing", Some(&alice), &[], None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A read share lets its grantee read; a write share, change the title; no share lets its
/// grantee delete, transfer, archive or share. Only the owner manages shares.
#[tokio::test]
async fn shares_decide_what_a_grantee_reads_and_writes() {
    let Some(api) = api().await else { return };
    let (olga, gus, sam) = (user("olga"), user("gus"), user("sam"));
    let id = api.create(&olga, "plan").await;
    let path = format!("/items/{id}");
    let title = |t: &str| Some(json!({ "title": t }));

    assert_eq!(
        api.share(&path, &olga, &gus, false).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(api.shares(id).await, [(gus.clone(), false)]);
    let (status, item) = api.call("GET", &path, Some(&gus), &[], None).await;
    assert_eq!((status, &item["access"]), (StatusCode::OK, &json!("read")));
    let (_, listed) = api.call("GET", "/items", Some(&gus), &[], None).await;
    assert_eq!(listed[0]["id"], id, "{listed}");
    assert_eq!(listed[0]["access"], "read", "{listed}");
    let before = api.stored(id).await.expect("created");
    let (status, _) = api
        .call("PUT", &path, Some(&gus), &[], title("gus's"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a read share writes nothing");
    assert_eq!(api.stored(id).await.as_ref(), Some(&before));

    assert_eq!(
        api.share(&path, &olga, &gus, true).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(api.shares(id).await, [(gus.clone(), true)]);
    let (status, written) = api
        .call("PUT", &path, Some(&gus), &[], title("gus's"))
        .await;
    assert_eq!(status, StatusCode::OK, "{written}");
    assert_eq!(
        (&written["access"], &written["version"]),
        (&json!("write"), &json!(2))
    );
    let stored = api.stored(id).await.expect("kept");
    assert_eq!(
        (&stored["title"], &stored["owner_id"], &stored["version"]),
        (&s("gus's"), &s(&olga), &AttributeValue::N("2".into()))
    );

    // Never the grantee's, nor a stranger's: each is a 404 and changes nothing.
    let before = api.stored(id).await.expect("kept");
    for (method, uri, body) in [
        ("DELETE", path.clone(), None),
        (
            "POST",
            format!("{path}/transfer"),
            Some(json!({ "to": gus })),
        ),
        ("POST", format!("{path}/archive"), None),
        ("DELETE", format!("{path}/shares/{gus}"), None),
    ] {
        let (status, problem) = api.call(method, &uri, Some(&gus), &[], body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}: {problem}");
    }
    assert_eq!(
        api.share(&path, &gus, &sam, true).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.share(&path, &sam, &sam, true).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.stored(id).await.as_ref(), Some(&before));
    assert_eq!(api.shares(id).await, [(gus.clone(), true)]);

    for _ in 0..2 {
        let uri = format!("{path}/shares/{gus}");
        let (status, _) = api.call("DELETE", &uri, Some(&olga), &[], None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    assert_eq!(api.shares(id).await, []);
    let (status, _) = api.call("GET", &path, Some(&gus), &[], None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let before = api.stored(id).await.expect("kept");
    let (status, _) = api.call("PUT", &path, Some(&gus), &[], title("late")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(api.stored(id).await.as_ref(), Some(&before));

    // A transfer drops the shares; an archived item takes no new one.
    assert_eq!(
        api.share(&path, &olga, &gus, true).await,
        StatusCode::NO_CONTENT
    );
    let uri = format!("{path}/transfer");
    let (status, _) = api
        .call("POST", &uri, Some(&olga), &[], Some(json!({ "to": sam })))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.shares(id).await, []);
    let (status, _) = api.call("GET", &path, Some(&gus), &[], None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .call("POST", &format!("{path}/archive"), Some(&sam), &[], None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        api.share(&path, &sam, &gus, false).await,
        StatusCode::CONFLICT
    );
    assert_eq!(api.shares(id).await, []);
}

/// The users table's role at the time of the write decides an administrator's delete,
/// whatever the token says; the role grants deletes only.
#[tokio::test]
async fn an_administrator_deletes_as_long_as_the_users_table_says_so() {
    let Some(api) = api().await else { return };
    let (olga, ada) = (user("olga2"), user("ada"));
    let first = api.create(&olga, "first").await;
    let second = api.create(&olga, "second").await;
    let (first_path, second_path) = (format!("/items/{first}"), format!("/items/{second}"));
    let (status, _) = api.call("DELETE", &first_path, Some(&ada), &[], None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(api.stored(first).await.is_some());

    api.set_role(&ada, "admin").await;
    let before = api.stored(second).await.expect("created");
    let body = Some(json!({ "title": "admin's" }));
    let (status, _) = api.call("PUT", &second_path, Some(&ada), &[], body).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the role grants deletes only"
    );
    assert_eq!(api.stored(second).await.as_ref(), Some(&before));
    let (status, _) = api.call("DELETE", &first_path, Some(&ada), &[], None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(api.stored(first).await.is_none());

    api.set_role(&ada, "user").await;
    let (status, _) = api
        .call("DELETE", &second_path, Some(&ada), &[], None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(api.stored(second).await.as_ref(), Some(&before));
}

/// After `POST /auth/logout` answers, the token is refused everywhere (401 `revoked`), and
/// none of its writes happen; the user's other tokens still work.
#[tokio::test]
async fn a_logged_out_token_is_refused_everywhere_and_writes_nothing() {
    let Some(api) = api().await else { return };
    let lou = user("lou");
    let (first, other) = (token(&lou), token(&lou));
    let id = api.create(&lou, "draft").await;
    let path = format!("/items/{id}");
    let (status, _) = api.with("POST", "/auth/logout", &first, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let before = api.stored(id).await.expect("created");
    for (method, uri, body) in [
        ("GET", path.clone(), None),
        ("GET", "/items".to_owned(), None),
        (
            "POST",
            format!("{path}/transfer"),
            Some(json!({ "to": "x" })),
        ),
        ("PUT", path.clone(), Some(json!({ "title": "after" }))),
        ("POST", format!("{path}/archive"), None),
        (
            "PUT",
            format!("{path}/shares/x"),
            Some(json!({ "can_write": true })),
        ),
        ("DELETE", path.clone(), None),
        (
            "POST",
            "/items".to_owned(),
            Some(json!({ "title": "after" })),
        ),
        ("POST", "/auth/logout".to_owned(), None),
        ("POST", "/auth/logout-all".to_owned(), None),
    ] {
        let (status, problem) = api.with(method, &uri, &first, body).await;
        assert_eq!(
            (status, &problem["code"]),
            (StatusCode::UNAUTHORIZED, &json!("revoked")),
            "{method} {uri}: {problem}"
        );
    }
    assert_eq!(api.stored(id).await.as_ref(), Some(&before));
    let (status, theirs) = api.with("GET", "/items", &other, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(theirs.as_array().map(Vec::len), Some(1), "{theirs}");
}

/// `POST /auth/logout-all` voids every token of the caller issued up to that second; one
/// issued later works.
#[tokio::test]
async fn logging_out_everywhere_voids_every_earlier_token() {
    let Some(api) = api().await else { return };
    let max = user("max");
    let (first, second) = (token(&max), token(&max));
    let id = api.create(&max, "mine").await;
    let path = format!("/items/{id}");
    let (status, _) = api.with("POST", "/auth/logout-all", &first, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let before = api.stored(id).await.expect("created");
    let (status, problem) = api.with("GET", &path, &first, None).await;
    assert_eq!(
        (status, &problem["code"]),
        (StatusCode::UNAUTHORIZED, &json!("revoked"))
    );
    let body = Some(json!({ "title": "after" }));
    let (status, problem) = api.with("PUT", &path, &second, body).await;
    assert_eq!(
        (status, &problem["code"]),
        (StatusCode::UNAUTHORIZED, &json!("revoked"))
    );
    assert_eq!(api.stored(id).await.as_ref(), Some(&before));
    // `iat` counts seconds: a token of the next second is after the cut-off.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _) = api.call("GET", &path, Some(&max), &[], None).await;
    assert_eq!(status, StatusCode::OK);
}

/// A put over the caller's item: it replaces the item, so the update's states apply.
#[guarded]
async fn replace(guard: Guard<DynamoDb>, id: i64, title: &str) -> Result<(), guarded::Error> {
    guard
        .client()
        .put_item()
        .table_name("items")
        .item("id", AttributeValue::S(id.to_string()))
        .item("title", AttributeValue::S(title.to_owned()))
        .item("version", AttributeValue::N("1".into()))
        .item("archived", AttributeValue::Bool(false))
        .send()
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_put_cannot_replace_an_archived_item_nor_anothers() {
    let Some(api) = api().await else { return };
    let (alice, mallory) = (user("alice5"), user("mallory5"));
    let guard = |sub: &str| {
        let claims: Claims = serde_json::from_value(
            json!({ "sub": sub, "exp": u64::MAX / 2, "jti": "t", "iat": 1 }),
        )
        .expect("claims");
        Guard::<DynamoDb>::trusted(api.client.clone(), claims)
    };
    let id = api.create(&alice, "kept").await;
    let before = api.stored(id).await.expect("created");
    let e = replace(guard(&mallory), id, "taken")
        .await
        .expect_err("another's");
    assert!(matches!(e, guarded::Error::Denied(_)), "{e:?}");
    assert_eq!(api.stored(id).await.as_ref(), Some(&before));

    let (status, _) = api
        .call(
            "POST",
            &format!("/items/{id}/archive"),
            Some(&alice),
            &[],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let archived = api.stored(id).await.expect("kept");
    let e = replace(guard(&alice), id, "unarchived")
        .await
        .expect_err("archived");
    assert!(matches!(e, guarded::Error::Conflict("archived")), "{e:?}");
    assert_eq!(api.stored(id).await.as_ref(), Some(&archived));
}

/// A rename with no read before it: the write alone decides, for a stranger as for a grantee.
#[guarded]
async fn rename(guard: Guard<DynamoDb>, id: i64, title: &str) -> Result<(), guarded::Error> {
    guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", AttributeValue::S(id.to_string()))
        .update_expression("SET title = :t")
        .expression_attribute_values(":t", AttributeValue::S(title.to_owned()))
        .send()
        .await?;
    Ok(())
}

/// A write a grant may allow goes as the owner's first, or as the grant's first once the
/// caller's last write landed by a grant (the runtime's `order`). Each order below is reached
/// by the caller's history: either writes what the owner's or the grant's rule allows and
/// nothing else, and a refusal answers the same in both.
#[tokio::test]
async fn a_write_goes_by_the_owner_or_the_grant_in_either_order_and_answers_alike() {
    let Some(api) = api().await else { return };
    let [olga, gus, sam, tom, ann] = ["olga6", "gus6", "sam6", "tom6", "ann6"].map(user);
    let guard = |sub: &str| {
        let claims: Claims = serde_json::from_value(json!({
            "sub": sub, "exp": u64::MAX / 2, "iat": 1, "jti": format!("{sub}-order"),
        }))
        .expect("claims");
        Guard::<DynamoDb>::trusted(api.client.clone(), claims)
    };
    let renamed = async |sub: &str, id: i64, title: &str| {
        rename(guard(sub), id, title).await.expect("allowed");
        let stored = api.stored(id).await.expect("kept");
        assert_eq!(stored["title"], s(title), "{sub}");
    };
    let refused = async |sub: &str, id: i64| {
        let before = api.stored(id).await.expect("kept");
        let e = rename(guard(sub), id, "refused")
            .await
            .expect_err("refused");
        assert_eq!(api.stored(id).await.as_ref(), Some(&before), "{sub}: {e:?}");
        format!("{e:?}")
    };
    let (hers, his) = (
        api.create(&olga, "hers").await,
        api.create(&gus, "his").await,
    );
    for (id, owner, grantee) in [(hers, &olga, &gus), (his, &gus, &olga), (his, &gus, &sam)] {
        let path = format!("/items/{id}");
        assert_eq!(
            api.share(&path, owner, grantee, true).await,
            StatusCode::NO_CONTENT
        );
    }

    // Gus: the owner's attempt, refused, then the grant's; then the grant's alone.
    renamed(&gus, hers, "by gus").await;
    renamed(&gus, hers, "by gus again").await;
    // Olga on her own item: with nothing remembered, and after landing by a grant on his.
    renamed(&olga, hers, "by olga").await;
    renamed(&olga, his, "by olga on his").await;
    renamed(&olga, hers, "by olga again").await;
    renamed(&olga, hers, "by olga once more").await;

    // A stranger to her item: Tom has written nothing, Sam last landed by a grant.
    renamed(&sam, his, "by sam").await;
    let stranger = refused(&tom, hers).await;
    assert_eq!(
        stranger,
        format!("{:?}", guarded::Error::Denied(guarded::Deny::NotFound))
    );
    assert_eq!(refused(&sam, hers).await, stranger);

    // Her share revoked between two of Gus's writes, then made read-only: refused as Tom is.
    renamed(&gus, hers, "by gus before").await;
    let shares = format!("/items/{hers}/shares/{gus}");
    let (status, _) = api.call("DELETE", &shares, Some(&olga), &[], None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(refused(&gus, hers).await, stranger);
    let path = format!("/items/{hers}");
    assert_eq!(
        api.share(&path, &olga, &gus, false).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(refused(&gus, hers).await, stranger);

    // Archived: 409 `archived` for its owner and both grantees, whichever went first; the
    // stranger still learns nothing.
    for grantee in [&gus, &ann] {
        assert_eq!(
            api.share(&path, &olga, grantee, true).await,
            StatusCode::NO_CONTENT
        );
    }
    renamed(&gus, hers, "by gus last").await;
    let archive = format!("{path}/archive");
    let (status, _) = api.call("POST", &archive, Some(&olga), &[], None).await;
    assert_eq!(status, StatusCode::OK);
    let archived = format!("{:?}", guarded::Error::Conflict("archived"));
    for caller in [&olga, &gus, &ann] {
        assert_eq!(refused(caller, hers).await, archived, "{caller}");
    }
    assert_eq!(refused(&tom, hers).await, stranger);
    assert_eq!(refused(&sam, hers).await, stranger);

    // A revoked token: 401 `revoked` for Sam (last landed by a grant) and for Ann (nothing
    // landed), on his item, which both may write.
    assert_eq!(
        api.share(&format!("/items/{his}"), &gus, &ann, true).await,
        StatusCode::NO_CONTENT
    );
    renamed(&sam, his, "by sam last").await;
    for caller in [&sam, &ann] {
        api.client
            .put_item()
            .table_name("revoked_tokens")
            .item("jti", s(&format!("{caller}-order")))
            .send()
            .await
            .expect("the revocation");
    }
    let revoked = refused(&sam, his).await;
    assert!(revoked.contains("Revoked"), "{revoked}");
    assert_eq!(refused(&ann, his).await, revoked);
}
