//! The routes. Each handler is written once and runs on SQLite, PostgreSQL or MySQL/MariaDB,
//! whichever `DATABASE_URL` names: the guard is a `Guard<Any>`, so `#[guarded]` writes each
//! statement for every backend and the pool's backend picks one at run time.
//!
//! No handler spells a rule: who may read, write, delete, share or archive an item, and
//! whether the token is still valid, are the package's `guarded.toml`, decided inside each
//! statement. A handler of several statements runs them in one transaction.

use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use guarded::{Guard, guarded};
use sqlx::Any;

use items_api_http::{
    ApiError, ApiJson, BODY_LIMIT, Item, ItemRow, ShareBody, TitleBody, TransferBody, if_match,
    text,
};

use crate::AppState;

pub fn router(state: AppState) -> Router {
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
        .with_state(state)
}

/// `POST /items`: the owner column is added by the macro and bound to the token's subject; a
/// body cannot choose it. The row comes from a SELECT, which carries the token's validity
/// (VALUES has no WHERE to carry it).
#[guarded]
async fn create_item(
    mut guard: Guard<Any>,
    ApiJson(body): ApiJson<TitleBody>,
) -> Result<impl IntoResponse, ApiError> {
    let title = text(&body.title)?;
    let me = guard.subject().clone();
    let row: ItemRow = sqlx::query_as(
        "INSERT INTO items (title) SELECT ? \
         RETURNING id, title, owner_id, version, CASE WHEN archived THEN 1 ELSE 0 END, 0",
    )
    .bind(title)
    .fetch_one(&mut guard)
    .await?;
    let item = Item::new(row, &me);
    let location = format!("/items/{}", item.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        [(header::ETAG, item.etag())],
        Json(item),
    ))
}

/// `GET /items`: the caller's items and those shared with them, whatever the query says.
#[guarded]
async fn list_items(mut guard: Guard<Any>) -> Result<Json<Vec<Item>>, ApiError> {
    let me = guard.subject().clone();
    let rows: Vec<ItemRow> = sqlx::query_as(
        "SELECT i.id, i.title, i.owner_id, i.version, CASE WHEN i.archived THEN 1 ELSE 0 END, \
         CASE WHEN w.can_write THEN 1 ELSE 0 END FROM items i \
         LEFT JOIN shares w ON w.item_id = i.id AND w.user_id = ? ORDER BY i.id",
    )
    .bind(&me)
    .fetch_all(&mut guard)
    .await?;
    Ok(Json(rows.into_iter().map(|r| Item::new(r, &me)).collect()))
}

/// `GET /items/{id}`: 404 when the caller may not read it, exactly as when it is absent.
#[guarded]
async fn get_item(
    mut guard: Guard<Any>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let me = guard.subject().clone();
    let row: ItemRow = sqlx::query_as(
        "SELECT i.id, i.title, i.owner_id, i.version, CASE WHEN i.archived THEN 1 ELSE 0 END, \
         CASE WHEN w.can_write THEN 1 ELSE 0 END FROM items i \
         LEFT JOIN shares w ON w.item_id = i.id AND w.user_id = ? WHERE i.id = ?",
    )
    .bind(&me)
    .bind(id)
    .fetch_one(&mut guard)
    .await?;
    let item = Item::new(row, &me);
    Ok(([(header::ETAG, item.etag())], Json(item)))
}

/// `PUT /items/{id}`: its owner, or a grantee whose share can write. With `If-Match`, the
/// UPDATE compares the version itself: a stale one is a 412 decided by the write, not by an
/// earlier read. An archived item is a 409 `archived`.
#[guarded]
async fn update_item(
    mut guard: Guard<Any>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TitleBody>,
) -> Result<impl IntoResponse, ApiError> {
    let title = text(&body.title)?;
    let me = guard.subject().clone();
    if let Some(version) = if_match(&headers)? {
        sqlx::query(
            "UPDATE items SET title = ?, version = version + 1 WHERE id = ? AND version = ?",
        )
        .bind(title)
        .bind(id)
        .bind(version)
        .execute(&mut guard)
        .await?;
    } else {
        sqlx::query("UPDATE items SET title = ?, version = version + 1 WHERE id = ?")
            .bind(title)
            .bind(id)
            .execute(&mut guard)
            .await?;
    }
    let row: ItemRow = sqlx::query_as(
        "SELECT i.id, i.title, i.owner_id, i.version, CASE WHEN i.archived THEN 1 ELSE 0 END, \
         CASE WHEN w.can_write THEN 1 ELSE 0 END FROM items i \
         LEFT JOIN shares w ON w.item_id = i.id AND w.user_id = ? WHERE i.id = ?",
    )
    .bind(&me)
    .bind(id)
    .fetch_one(&mut guard)
    .await?;
    let item = Item::new(row, &me);
    Ok(([(header::ETAG, item.etag())], Json(item)))
}

/// `DELETE /items/{id}`: its owner, or an administrator (the users table's role at the time
/// of the statement, whatever the token says). Its shares go with it.
#[guarded(unguarded = "shares")]
async fn delete_item(mut guard: Guard<Any>, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    sqlx::query("DELETE FROM items WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    sqlx::query("DELETE FROM shares WHERE item_id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /items/{id}/transfer`: the owner only (the UPDATE sets the owner column, which no
/// grant allows). The item's shares are dropped: the new owner decides who else sees it.
#[guarded(unguarded = "shares")]
async fn transfer_item(
    mut guard: Guard<Any>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<Json<Item>, ApiError> {
    let to = text(&body.to)?;
    let me = guard.subject().clone();
    let row: ItemRow = sqlx::query_as(
        "SELECT i.id, i.title, i.owner_id, i.version, CASE WHEN i.archived THEN 1 ELSE 0 END, \
         CASE WHEN w.can_write THEN 1 ELSE 0 END FROM items i \
         LEFT JOIN shares w ON w.item_id = i.id AND w.user_id = ? WHERE i.id = ?",
    )
    .bind(&me)
    .bind(id)
    .fetch_one(&mut guard)
    .await?;
    sqlx::query("UPDATE items SET owner_id = ?, version = version + 1 WHERE id = ?")
        .bind(to)
        .bind(id)
        .execute(&mut guard)
        .await?;
    sqlx::query("DELETE FROM shares WHERE item_id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    let mut item = Item::new(row, &me);
    to.clone_into(&mut item.owner);
    item.version += 1;
    item.access = (to == me).then_some("owner");
    Ok(Json(item))
}

/// `POST /items/{id}/archive`: the owner only (`archived` is not among the columns the
/// update grant lets a grantee set). Afterwards every update of it is a 409 `archived`.
#[guarded]
async fn archive_item(mut guard: Guard<Any>, Path(id): Path<i64>) -> Result<Json<Item>, ApiError> {
    let me = guard.subject().clone();
    sqlx::query("UPDATE items SET archived = TRUE, version = version + 1 WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    let row: ItemRow = sqlx::query_as(
        "SELECT i.id, i.title, i.owner_id, i.version, CASE WHEN i.archived THEN 1 ELSE 0 END, \
         CASE WHEN w.can_write THEN 1 ELSE 0 END FROM items i \
         LEFT JOIN shares w ON w.item_id = i.id AND w.user_id = ? WHERE i.id = ?",
    )
    .bind(&me)
    .bind(id)
    .fetch_one(&mut guard)
    .await?;
    Ok(Json(Item::new(row, &me)))
}

/// `PUT /items/{id}/shares/{user}`: the owner only. The first statement moves the item's
/// `shares_version`, a column no grant lets a grantee set: it decides (owner, not archived)
/// and locks the item, so no transfer or archive slips between that decision and the share
/// written after it.
#[guarded(unguarded = "shares")]
async fn share_item(
    mut guard: Guard<Any>,
    Path((id, user)): Path<(i64, String)>,
    ApiJson(body): ApiJson<ShareBody>,
) -> Result<StatusCode, ApiError> {
    let user = text(&user)?;
    sqlx::query("UPDATE items SET shares_version = shares_version + 1 WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    sqlx::query("DELETE FROM shares WHERE item_id = ? AND user_id = ?")
        .bind(id)
        .bind(user)
        .execute(&mut guard)
        .await?;
    sqlx::query("INSERT INTO shares (item_id, user_id, can_write) SELECT ?, ?, ?")
        .bind(id)
        .bind(user)
        .bind(body.can_write)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /items/{id}/shares/{user}`: the owner only, decided as in [`share_item`]. Removing
/// a share that does not exist succeeds.
#[guarded(unguarded = "shares")]
async fn unshare_item(
    mut guard: Guard<Any>,
    Path((id, user)): Path<(i64, String)>,
) -> Result<StatusCode, ApiError> {
    sqlx::query("UPDATE items SET shares_version = shares_version + 1 WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    sqlx::query("DELETE FROM shares WHERE item_id = ? AND user_id = ?")
        .bind(id)
        .bind(&user)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /auth/logout`: stores this token's `jti`; every statement of every guarded handler
/// refuses it from then on (401 `revoked`). Logging out twice is a 401 too: the INSERT
/// carries the token's validity, and the validity check names why it found no row.
#[guarded(unguarded = "revoked_tokens")]
async fn logout(mut guard: Guard<Any>) -> Result<StatusCode, ApiError> {
    let claims = guard.claims();
    // The policy binds `:jti`, so a token without one was refused before this line.
    let jti = claims.jti.clone().unwrap_or_default();
    let expires_at = i64::try_from(claims.exp).unwrap_or(i64::MAX);
    sqlx::query("INSERT INTO revoked_tokens (jti, expires_at) SELECT ?, ?")
        .bind(jti)
        .bind(expires_at)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /auth/logout-all`: voids every token of the caller issued up to this second, this
/// one included (`iat` has a resolution of one second, so the cut-off is the next second).
#[guarded(unguarded = "users")]
async fn logout_all(mut guard: Guard<Any>) -> Result<StatusCode, ApiError> {
    let me = guard.subject().clone();
    let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX);
    let cutoff = now.saturating_add(1);
    sqlx::query(
        "INSERT INTO users (id) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = ?)",
    )
    .bind(&me)
    .bind(&me)
    .execute(&mut guard)
    .await?;
    sqlx::query("UPDATE users SET tokens_valid_after = ? WHERE id = ?")
        .bind(cutoff)
        .bind(&me)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
