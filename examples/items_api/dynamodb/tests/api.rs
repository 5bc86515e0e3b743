//! The demo's API on DynamoDB, against the local server `GUARDED_TEST_DYNAMODB` names: each
//! refusal is checked on the stored item, not only on the status.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use guarded::{Claims, DynamoDb, Guard, Verifier, guarded};
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
    let Ok(endpoint) = std::env::var("GUARDED_TEST_DYNAMODB") else {
        eprintln!("GUARDED_TEST_DYNAMODB is unset: skipped");
        return None;
    };
    let client = items_api_dynamodb::client(&endpoint);
    items_api_dynamodb::create_table(&client)
        .await
        .expect("the table");
    let verifier = Verifier::hs256(SECRET).expect("a verifier");
    let router = items_api_dynamodb::router(client.clone(), verifier);
    Some(Api { router, client })
}

fn token(sub: &str) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": sub, "iat": now, "nbf": now, "exp": now + 600 }),
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .expect("a token")
}

impl Api {
    async fn call(
        &self,
        method: &str,
        uri: &str,
        user: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(user) = user {
            request = request.header(header::AUTHORIZATION, format!("Bearer {}", token(user)));
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
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
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
async fn tokens_are_required_and_the_sql_only_routes_say_so() {
    let Some(api) = api().await else { return };
    let (status, _) = api.call("GET", "/items", None, &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let alice = user("alice4");
    let (status, problem) = api
        .call("POST", "/auth/logout", Some(&alice), &[], None)
        .await;
    assert_eq!(
        (status, &problem["code"]),
        (StatusCode::NOT_IMPLEMENTED, &json!("not_on_dynamodb"))
    );
    let (status, _) = api
        .call("GET", "/items/7/missing", Some(&alice), &[], None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
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
        let claims: Claims =
            serde_json::from_value(json!({ "sub": sub, "exp": u64::MAX / 2 })).expect("claims");
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
