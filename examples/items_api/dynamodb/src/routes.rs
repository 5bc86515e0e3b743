//! The routes, as on SQL. Each handler's requests are conditioned by `#[guarded]`: no
//! handler compares an owner, a share, a role, a version's freshness, the archive flag or a
//! token's revocation itself.
//!
//! Under the policy's `[token]` checks every write is a transaction, which returns no values:
//! a handler that answers with the item reads it first and writes on the condition that its
//! version is still the one read (`#v = :v`), so the answer is exact; when the item moved on
//! in between, and the client sent no `If-Match`, it reads again.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use axum::extract::{DefaultBodyLimit, FromRef, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use guarded::{Deny, DynamoDb, Guard, Verifier, guarded};

use items_api_http::{
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
        .route("/auth/logout", post(logout))
        .route("/auth/logout-all", post(logout_all))
        .fallback(|| async { ApiError::NoRoute })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(State { client, verifier })
}

/// How often a read-then-write without `If-Match` reads again when the item moved on in
/// between; after that, 409 `condition_failed`.
const ATTEMPTS: usize = 5;

type Stored = HashMap<String, AttributeValue>;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn number(stored: &Stored, name: &str) -> i64 {
    match stored.get(name) {
        Some(AttributeValue::S(s) | AttributeValue::N(s)) => s.parse().unwrap_or_default(),
        _ => 0,
    }
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

/// An item as stored, as `caller` sees it: `can_write` is their share's.
fn item(stored: &Stored, caller: &str, can_write: bool) -> Item {
    let title = match stored.get("title") {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => String::new(),
    };
    let owner = match stored.get("owner_id") {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => String::new(),
    };
    let archived = matches!(stored.get("archived"), Some(AttributeValue::Bool(true)));
    let row = (
        number(stored, "id"),
        title,
        owner,
        number(stored, "version"),
        i64::from(archived),
        i64::from(can_write),
    );
    Item::new(row, caller)
}

/// Whether a share item lets its grantee write.
fn can_write(share: Option<&Stored>) -> bool {
    matches!(
        share.and_then(|s| s.get("can_write")),
        Some(AttributeValue::Bool(true))
    )
}

fn not_found() -> ApiError {
    ApiError::Guarded(guarded::Error::Denied(Deny::NotFound))
}

/// Whether a refused write only found the item moved on since it was read: read again.
fn moved_on(e: &guarded::Error, if_match: Option<i64>) -> bool {
    if_match.is_none()
        && matches!(
            e,
            guarded::Error::PreconditionFailed | guarded::Error::Conflict("condition_failed")
        )
}

fn exhausted() -> ApiError {
    ApiError::Guarded(guarded::Error::Conflict("condition_failed"))
}

/// The transaction's update of the item `id`, on the condition `condition`.
fn update(id: i64, expression: &str, condition: &str, values: Stored) -> TransactWriteItem {
    let update = Update::builder()
        .table_name("items")
        .key("id", s(id.to_string()))
        .update_expression(expression)
        .condition_expression(condition)
        .expression_attribute_names("#v", "version")
        .expression_attribute_names("#sv", "shares_version")
        .set_expression_attribute_values(Some(values))
        .build()
        .expect("table, key and expression are set");
    TransactWriteItem::builder().update(update).build()
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
        .item("shares_version", n(0))
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

/// `GET /items`: the caller's items (the guard filters the scan by owner) and those shared
/// with them (each read through the guard, which decides the share). A table of many owners
/// would query indexes on `owner_id` and on the shares' `user_id` instead of scanning.
#[guarded(unguarded = "shares")]
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
        items.extend(page.items().iter().map(|stored| item(stored, &me, false)));
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    loop {
        let page = guard
            .client()
            .scan()
            .table_name("shares")
            .consistent_read(true)
            .filter_expression("user_id = :me")
            .expression_attribute_values(":me", s(&me))
            .set_exclusive_start_key(start)
            .send()
            .await?;
        for share in page.items() {
            let Some(id) = share.get("item_id") else {
                continue;
            };
            let shared = guard
                .client()
                .get_item()
                .table_name("items")
                .key("id", id.clone())
                .consistent_read(true)
                .send()
                .await;
            match shared {
                Ok(output) => {
                    let stored = output.item.unwrap_or_default();
                    if !stored.is_empty() {
                        items.push(item(&stored, &me, can_write(Some(share))));
                    }
                }
                // Unshared or given away since the share was listed.
                Err(guarded::Error::Denied(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    items.sort_by_key(|item| item.id);
    Ok(Json(items))
}

/// `GET /items/{id}`: its owner, or a user it is shared with; 404 for anyone else, exactly
/// as when it is absent.
#[guarded(unguarded = "shares")]
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
    let share = guard
        .client()
        .get_item()
        .table_name("shares")
        .key("item_id", s(id.to_string()))
        .key("user_id", s(&me))
        .consistent_read(true)
        .send()
        .await?;
    let item = item(&stored, &me, can_write(share.item()));
    Ok(([(header::ETAG, item.etag())], Json(item)))
}

/// `PUT /items/{id}`: its owner, or a user it is shared with for writing (the grant lets
/// them set the title and version only). With `If-Match` the write compares that version, so
/// a stale one is a 412 decided by the write; an archived item is a 409 `archived`.
#[guarded]
async fn update_item(
    guard: Guard<DynamoDb>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TitleBody>,
) -> Result<impl IntoResponse, ApiError> {
    let title = text(&body.title)?;
    let me = guard.subject().clone();
    let expected = if_match(&headers)?;
    for _ in 0..ATTEMPTS {
        let output = guard
            .client()
            .get_item()
            .table_name("items")
            .key("id", s(id.to_string()))
            .consistent_read(true)
            .send()
            .await?;
        let stored = output.item.ok_or_else(not_found)?;
        let version = expected.unwrap_or_else(|| number(&stored, "version"));
        let written = guard
            .client()
            .update_item()
            .table_name("items")
            .key("id", s(id.to_string()))
            .update_expression("SET #t = :t, #v = :next")
            .condition_expression("#v = :v")
            .expression_attribute_names("#t", "title")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":t", s(title))
            .expression_attribute_values(":v", n(version))
            .expression_attribute_values(":next", n(version + 1))
            .send()
            .await;
        match written {
            // Written by its owner, or by a grantee whose share lets them write.
            Ok(_) => {
                let mut item = item(&stored, &me, true);
                title.clone_into(&mut item.title);
                item.version = version + 1;
                return Ok(([(header::ETAG, item.etag())], Json(item)));
            }
            Err(e) if moved_on(&e, expected) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(exhausted())
}

/// `DELETE /items/{id}`: its owner, or an administrator (the users table's role at the time
/// of the write, whatever the token says). Its shares go after it.
#[guarded(unguarded = "shares")]
async fn delete_item(guard: Guard<DynamoDb>, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    guard
        .client()
        .delete_item()
        .table_name("items")
        .key("id", s(id.to_string()))
        .send()
        .await?;
    let mut start = None;
    loop {
        let page = guard
            .client()
            .query()
            .table_name("shares")
            .key_condition_expression("item_id = :id")
            .expression_attribute_values(":id", s(id.to_string()))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await?;
        for share in page.items() {
            let user = share.get("user_id").cloned().unwrap_or_else(|| s(""));
            guard
                .client()
                .delete_item()
                .table_name("shares")
                .key("item_id", s(id.to_string()))
                .key("user_id", user)
                .send()
                .await?;
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /items/{id}/transfer`: the owner only (a transaction's writes go by the owner
/// alone). The item's shares are dropped in the same transaction: the new owner decides who
/// else sees it. It is written on the condition that no share was added since they were
/// listed (`shares_version`, which every change of a share moves).
#[guarded(unguarded = "shares")]
async fn transfer_item(
    guard: Guard<DynamoDb>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<Json<Item>, ApiError> {
    let to = text(&body.to)?;
    let me = guard.subject().clone();
    for _ in 0..ATTEMPTS {
        let output = guard
            .client()
            .get_item()
            .table_name("items")
            .key("id", s(id.to_string()))
            .consistent_read(true)
            .send()
            .await?;
        let stored = output.item.ok_or_else(not_found)?;
        let (version, shares_version) = (
            number(&stored, "version"),
            number(&stored, "shares_version"),
        );
        let shares = guard
            .client()
            .query()
            .table_name("shares")
            .key_condition_expression("item_id = :id")
            .expression_attribute_values(":id", s(id.to_string()))
            .consistent_read(true)
            .send()
            .await?;
        let values = HashMap::from([
            (":to".to_owned(), s(to)),
            (":v".to_owned(), n(version)),
            (":next".to_owned(), n(version + 1)),
            (":sv".to_owned(), n(shares_version)),
        ]);
        let mut items = vec![update(
            id,
            "SET owner_id = :to, #v = :next",
            "#v = :v AND #sv = :sv",
            values,
        )];
        for share in shares.items() {
            let user = share.get("user_id").cloned().unwrap_or_else(|| s(""));
            let delete = Delete::builder()
                .table_name("shares")
                .key("item_id", s(id.to_string()))
                .key("user_id", user)
                .build()
                .expect("table and key are set");
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        let written = guard
            .client()
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match written {
            Ok(_) => {
                let mut item = item(&stored, &me, false);
                to.clone_into(&mut item.owner);
                item.version = version + 1;
                item.access = (to == me).then_some("owner");
                return Ok(Json(item));
            }
            Err(e) if moved_on(&e, None) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(exhausted())
}

/// `POST /items/{id}/archive`: the owner only (`archived` is not among the attributes the
/// update grant lets a grantee set). Afterwards every update of it is a 409 `archived`.
#[guarded]
async fn archive_item(guard: Guard<DynamoDb>, Path(id): Path<i64>) -> Result<Json<Item>, ApiError> {
    let me = guard.subject().clone();
    for _ in 0..ATTEMPTS {
        let output = guard
            .client()
            .get_item()
            .table_name("items")
            .key("id", s(id.to_string()))
            .consistent_read(true)
            .send()
            .await?;
        let stored = output.item.ok_or_else(not_found)?;
        let version = number(&stored, "version");
        let written = guard
            .client()
            .update_item()
            .table_name("items")
            .key("id", s(id.to_string()))
            .update_expression("SET #a = :true, #v = :next")
            .condition_expression("#v = :v")
            .expression_attribute_names("#a", "archived")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":v", n(version))
            .expression_attribute_values(":next", n(version + 1))
            .send()
            .await;
        match written {
            Ok(_) => {
                let mut item = item(&stored, &me, false);
                item.archived = true;
                item.version = version + 1;
                return Ok(Json(item));
            }
            Err(e) if moved_on(&e, None) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(exhausted())
}

/// The share's item moves `shares_version` in the share's transaction: that update decides
/// (owner, not archived), and a transfer listing the shares before it is refused after it.
fn bump_shares(id: i64) -> TransactWriteItem {
    let values = HashMap::from([(":zero".to_owned(), n(0)), (":one".to_owned(), n(1))]);
    update(
        id,
        "SET #sv = if_not_exists(#sv, :zero) + :one",
        "attribute_exists(#v)",
        values,
    )
}

/// `PUT /items/{id}/shares/{user}`: the owner only, and not on an archived item; the share
/// is written in the transaction that decides both.
#[guarded(unguarded = "shares")]
async fn share_item(
    guard: Guard<DynamoDb>,
    Path((id, user)): Path<(i64, String)>,
    ApiJson(body): ApiJson<ShareBody>,
) -> Result<StatusCode, ApiError> {
    let user = text(&user)?;
    let share = Put::builder()
        .table_name("shares")
        .item("item_id", s(id.to_string()))
        .item("user_id", s(user))
        .item("can_write", AttributeValue::Bool(body.can_write))
        .build()
        .expect("table and item are set");
    guard
        .client()
        .transact_write_items()
        .transact_items(bump_shares(id))
        .transact_items(TransactWriteItem::builder().put(share).build())
        .send()
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /items/{id}/shares/{user}`: the owner only, decided as in [`share_item`].
/// Removing a share that does not exist succeeds.
#[guarded(unguarded = "shares")]
async fn unshare_item(
    guard: Guard<DynamoDb>,
    Path((id, user)): Path<(i64, String)>,
) -> Result<StatusCode, ApiError> {
    let unshare = Delete::builder()
        .table_name("shares")
        .key("item_id", s(id.to_string()))
        .key("user_id", s(user))
        .build()
        .expect("table and key are set");
    guard
        .client()
        .transact_write_items()
        .transact_items(bump_shares(id))
        .transact_items(TransactWriteItem::builder().delete(unshare).build())
        .send()
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /auth/logout`: stores this token's `jti`; every request of every guarded handler
/// refuses it from then on (401 `revoked`). Logging out twice is a 401 too: the put carries
/// the token's checks, one of them on the very item it writes.
#[guarded(unguarded = "revoked_tokens")]
async fn logout(guard: Guard<DynamoDb>) -> Result<StatusCode, ApiError> {
    let claims = guard.claims();
    // The policy looks up `:jti`, so a token without one was refused before this line.
    let jti = claims.jti.clone().unwrap_or_default();
    let expires_at = i64::try_from(claims.exp).unwrap_or(i64::MAX);
    guard
        .client()
        .put_item()
        .table_name("revoked_tokens")
        .item("jti", s(jti))
        .item("expires_at", n(expires_at))
        .send()
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /auth/logout-all`: voids every token of the caller issued up to this second, this
/// one included (`iat` has a resolution of one second, so the cut-off is the next second).
#[guarded(unguarded = "users")]
async fn logout_all(guard: Guard<DynamoDb>) -> Result<StatusCode, ApiError> {
    let me = guard.subject().clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    guard
        .client()
        .update_item()
        .table_name("users")
        .key("id", s(&me))
        .update_expression("SET tokens_valid_after = :cutoff")
        .expression_attribute_values(":cutoff", n(now.saturating_add(1)))
        .send()
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
