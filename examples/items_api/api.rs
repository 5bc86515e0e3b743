//! The routes. Each handler is written once and runs on SQLite, PostgreSQL or MySQL/MariaDB,
//! whichever `DATABASE_URL` names: the guard is a `Guard<Any>`, so `#[guarded]` writes each
//! statement for every backend (`?` becomes `$1`, `$2`, ... on PostgreSQL, and each backend
//! gets its own ownership predicate) and the pool's backend picks one at run time.

use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use guarded::{Guard, guarded};
use sqlx::Any;

use crate::AppState;
use crate::http::{
    ApiError, ApiJson, BODY_LIMIT, Item, ItemRow, TitleBody, TransferBody, if_match, text,
};

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/items", post(create_item).get(list_items))
        .route(
            "/items/{id}",
            get(get_item).put(update_item).delete(delete_item),
        )
        .route("/items/{id}/transfer", post(transfer_item))
        .route("/auth/logout", post(logout))
        .fallback(|| async { ApiError::NoRoute })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// `POST /items`: the owner column is added by the macro and bound to the token's subject; a
/// body cannot choose it.
#[guarded]
async fn create_item(
    mut guard: Guard<Any>,
    ApiJson(body): ApiJson<TitleBody>,
) -> Result<impl IntoResponse, ApiError> {
    let title = text(&body.title)?;
    let row: ItemRow = sqlx::query_as(
        "INSERT INTO items (title) VALUES (?) RETURNING id, title, owner_id, version",
    )
    .bind(title)
    .fetch_one(&mut guard)
    .await?;
    let item = Item::from(row);
    let location = format!("/items/{}", item.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        [(header::ETAG, item.etag())],
        Json(item),
    ))
}

/// `GET /items`: the caller's items only, whatever the query says.
#[guarded]
async fn list_items(mut guard: Guard<Any>) -> Result<Json<Vec<Item>>, ApiError> {
    let rows: Vec<ItemRow> =
        sqlx::query_as("SELECT id, title, owner_id, version FROM items ORDER BY id")
            .fetch_all(&mut guard)
            .await?;
    Ok(Json(rows.into_iter().map(Item::from).collect()))
}

/// `GET /items/{id}`: 404 when it is not the caller's, exactly as when it is absent.
#[guarded]
async fn get_item(
    mut guard: Guard<Any>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let row: ItemRow =
        sqlx::query_as("SELECT id, title, owner_id, version FROM items WHERE id = ?")
            .bind(id)
            .fetch_one(&mut guard)
            .await?;
    let item = Item::from(row);
    Ok(([(header::ETAG, item.etag())], Json(item)))
}

/// `PUT /items/{id}`: the UPDATE carries the owner predicate and the version it read, in one
/// transaction with the read: no lost update, no write to an item that changed hands.
#[guarded]
async fn update_item(
    mut guard: Guard<Any>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TitleBody>,
) -> Result<impl IntoResponse, ApiError> {
    let title = text(&body.title)?;
    let wanted = if_match(&headers)?;
    let row: ItemRow =
        sqlx::query_as("SELECT id, title, owner_id, version FROM items WHERE id = ?")
            .bind(id)
            .fetch_one(&mut guard)
            .await?;
    let mut item = Item::from(row);
    if wanted.is_some_and(|v| v != item.version) {
        return Err(ApiError::PreconditionFailed);
    }
    sqlx::query("UPDATE items SET title = ?, version = version + 1 WHERE id = ? AND version = ?")
        .bind(title)
        .bind(id)
        .bind(item.version)
        .execute(&mut guard)
        .await?;
    title.clone_into(&mut item.title);
    item.version += 1;
    Ok(([(header::ETAG, item.etag())], Json(item)))
}

/// `DELETE /items/{id}`: one statement, so no transaction at all.
#[guarded]
async fn delete_item(mut guard: Guard<Any>, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    sqlx::query("DELETE FROM items WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /items/{id}/transfer`: the predicate is decided on the row as it is when the owner
/// changes; afterwards the old owner's writes are refused.
#[guarded]
async fn transfer_item(
    mut guard: Guard<Any>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<Json<Item>, ApiError> {
    let to = text(&body.to)?;
    let row: ItemRow =
        sqlx::query_as("SELECT id, title, owner_id, version FROM items WHERE id = ?")
            .bind(id)
            .fetch_one(&mut guard)
            .await?;
    sqlx::query("UPDATE items SET owner_id = ?, version = version + 1 WHERE id = ?")
        .bind(to)
        .bind(id)
        .execute(&mut guard)
        .await?;
    let mut item = Item::from(row);
    to.clone_into(&mut item.owner);
    item.version += 1;
    Ok(Json(item))
}

/// `POST /auth/logout`: the token was verified by the guard. Revocation is not built yet, so
/// the token stays valid until it expires (see the README).
#[guarded]
async fn logout(guard: Guard<Any>) -> Result<StatusCode, ApiError> {
    tracing::info!(jti = ?guard.claims().jti, "logout");
    Ok(StatusCode::NO_CONTENT)
}
