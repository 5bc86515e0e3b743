//! The routes, as on SQL. Each handler's requests are conditioned by `#[guarded]`: no
//! handler compares an owner, a version's freshness or the archive flag itself.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use axum::extract::{DefaultBodyLimit, FromRef, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use guarded::{Deny, DynamoDb, Guard, Verifier, guarded};

use crate::http::{
    ApiError, ApiJson, BODY_LIMIT, Item, ShareBody, TitleBody, TransferBody, if_match, text,
};

/// The router state: the client and the token verifier, each handed to the `Guard` extractor.
#[derive(Clone, FromRef)]
struct State {
    client: Client,
    verifier: Verifier,
}

/// The demo's HTTP API on `client`'s DynamoDB.
pub fn router(client: Client, verifier: Verifier) -> Router {
    Router::new()
        .route("/items", post(create_item).get(list_items))
        .route(
            "/items/{id}",
            get(get_item).put(update_item).delete(delete_item),
        )
        .route("/items/{id}/transfer", post(transfer_item))
        .route("/items/{id}/archive", post(archive_item))
        .route(
            "/items/{id}/shares/{user}",
            put(share_item).delete(unshare_item),
        )
        .route("/auth/logout", post(unsupported))
        .route("/auth/logout-all", post(unsupported))
        .fallback(|| async { ApiError::NoRoute })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(State { client, verifier })
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A fresh item id: random below 2^53, so it survives JSON numbers; the put's
/// `attribute_not_exists(id)` refuses the rare repeat (a 409).
fn new_id() -> i64 {
    let mut bytes = [0; 8];
    // Without randomness the server cannot serve: there is nothing to fall back on.
    getrandom::fill(&mut bytes).expect("the system's randomness");
    let id = u64::from_le_bytes(bytes) >> 11;
    i64::try_from(id).expect("53 bits fit") + 1
}

/// An item as stored, as `caller` sees it (the routes write every attribute it reads).
fn item(stored: &HashMap<String, AttributeValue>, caller: &str) -> Item {
    let string = |name: &str| match stored.get(name) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => String::new(),
    };
    let number = |name: &str| match stored.get(name) {
        Some(AttributeValue::S(s) | AttributeValue::N(s)) => s.parse().unwrap_or_default(),
        _ => 0,
    };
    let archived = matches!(stored.get("archived"), Some(AttributeValue::Bool(true)));
    let row = (
        number("id"),
        string("title"),
        string("owner_id"),
        number("version"),
        i64::from(archived),
        0,
    );
    Item::new(row, caller)
}

fn not_found() -> ApiError {
    ApiError::Guarded(guarded::Error::Denied(Deny::NotFound))
}

/// `POST /items`: the owner attribute is set by the guard to the token's subject; a body
/// cannot choose it.
#[guarded]
async fn create_item(
    guard: Guard<DynamoDb>,
    ApiJson(body): ApiJson<TitleBody>,
) -> Result<impl IntoResponse, ApiError> {
    let title = text(&body.title)?;
    let me = guard.subject().clone();
    let id = new_id();
    guard
        .client()
        .put_item()
        .table_name("items")
        .item("id", s(id.to_string()))
        .item("title", s(title))
        .item("version", n(1))
        .item("archived", AttributeValue::Bool(false))
        .condition_expression("attribute_not_exists(id)")
        .send()
        .await?;
    let item = Item::new((id, title.to_owned(), me.clone(), 1, 0, 0), &me);
    let location = format!("/items/{id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        [(header::ETAG, item.etag())],
        Json(item),
    ))
}

/// `GET /items`: the caller's items, whatever the scan reads (the guard filters by owner).
/// A table of many owners would query an index on `owner_id` instead.
#[guarded]
async fn list_items(guard: Guard<DynamoDb>) -> Result<Json<Vec<Item>>, ApiError> {
    let me = guard.subject().clone();
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = guard
            .client()
            .scan()
            .table_name("items")
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await?;
        items.extend(page.items().iter().map(|stored| item(stored, &me)));
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    items.sort_by_key(|item| item.id);
    Ok(Json(items))
}

/// `GET /items/{id}`: 404 when it is another owner's, exactly as when it is absent.
#[guarded]
async fn get_item(
    guard: Guard<DynamoDb>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let me = guard.subject().clone();
    let output = guard
        .client()
        .get_item()
        .table_name("items")
        .key("id", s(id.to_string()))
        .consistent_read(true)
        .send()
        .await?;
    let stored = output.item.ok_or_else(not_found)?;
    let item = item(&stored, &me);
    Ok(([(header::ETAG, item.etag())], Json(item)))
}

/// `PUT /items/{id}`: with `If-Match`, the condition compares the version itself, so a
/// stale one is a 412 decided by the write. An archived item is a 409 `archived`.
#[guarded]
async fn update_item(
    guard: Guard<DynamoDb>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TitleBody>,
) -> Result<impl IntoResponse, ApiError> {
    let title = text(&body.title)?;
    let me = guard.subject().clone();
    let mut values = HashMap::from([(":t".to_owned(), s(title)), (":one".to_owned(), n(1))]);
    let mut condition = "attribute_exists(id)".to_owned();
    if let Some(version) = if_match(&headers)? {
        condition.push_str(" AND #v = :v");
        values.insert(":v".to_owned(), n(version));
    }
    let output = guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", s(id.to_string()))
        .update_expression("SET #t = :t, #v = #v + :one")
        .condition_expression(condition)
        .expression_attribute_names("#t", "title")
        .expression_attribute_names("#v", "version")
        .set_expression_attribute_values(Some(values))
        .return_values(ReturnValue::AllNew)
        .send()
        .await?;
    let item = item(output.attributes().unwrap_or(&HashMap::new()), &me);
    Ok(([(header::ETAG, item.etag())], Json(item)))
}

/// `DELETE /items/{id}`: the owner only.
#[guarded]
async fn delete_item(guard: Guard<DynamoDb>, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    guard
        .client()
        .delete_item()
        .table_name("items")
        .key("id", s(id.to_string()))
        .send()
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /items/{id}/transfer`: the owner only; decided against the owner at the time of
/// the write, so a transfer racing another loses cleanly (404).
#[guarded]
async fn transfer_item(
    guard: Guard<DynamoDb>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<Json<Item>, ApiError> {
    let to = text(&body.to)?;
    let me = guard.subject().clone();
    let output = guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", s(id.to_string()))
        .update_expression("SET #o = :to, #v = #v + :one")
        .expression_attribute_names("#o", "owner_id")
        .expression_attribute_names("#v", "version")
        .expression_attribute_values(":to", s(to))
        .expression_attribute_values(":one", n(1))
        .return_values(ReturnValue::AllNew)
        .send()
        .await?;
    let mut item = item(output.attributes().unwrap_or(&HashMap::new()), &me);
    item.access = (to == me).then_some("owner");
    Ok(Json(item))
}

/// `POST /items/{id}/archive`: the owner only; afterwards every update of it is a 409
/// `archived`, this one included.
#[guarded]
async fn archive_item(guard: Guard<DynamoDb>, Path(id): Path<i64>) -> Result<Json<Item>, ApiError> {
    let me = guard.subject().clone();
    let output = guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", s(id.to_string()))
        .update_expression("SET #a = :true, #v = #v + :one")
        .expression_attribute_names("#a", "archived")
        .expression_attribute_names("#v", "version")
        .expression_attribute_values(":true", AttributeValue::Bool(true))
        .expression_attribute_values(":one", n(1))
        .return_values(ReturnValue::AllNew)
        .send()
        .await?;
    Ok(Json(item(
        output.attributes().unwrap_or(&HashMap::new()),
        &me,
    )))
}

/// `PUT /items/{id}/shares/{user}`: authenticated and validated as on SQL, then 501.
async fn share_item(
    _guard: Guard<DynamoDb>,
    Path(_): Path<(i64, String)>,
    ApiJson(body): ApiJson<ShareBody>,
) -> Response {
    // Read, not stored: the body is validated as on SQL, before the 501.
    let _ = body.can_write;
    unsupported_response()
}

/// `DELETE /items/{id}/shares/{user}`: 501.
async fn unshare_item(_guard: Guard<DynamoDb>, Path(_): Path<(i64, String)>) -> Response {
    unsupported_response()
}

/// `POST /auth/logout`, `POST /auth/logout-all`: 501.
async fn unsupported(_guard: Guard<DynamoDb>) -> Response {
    unsupported_response()
}

/// 501 `not_on_dynamodb`: shares and revocations are rows of other tables, which a
/// DynamoDB condition on the item cannot read.
fn unsupported_response() -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": "Not Implemented",
        "status": 501,
        "code": "not_on_dynamodb",
    });
    (
        StatusCode::NOT_IMPLEMENTED,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}
