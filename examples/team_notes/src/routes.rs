//! The routes. Each handler is written once and runs on SQLite, PostgreSQL or MySQL/MariaDB,
//! whichever `DATABASE_URL` names: the guard is a `Guard<Any, Member>`, so `#[guarded]`
//! writes each statement for every backend, with the token's `sub` and `org` bound where
//! `guarded.toml` names them.
//!
//! No handler spells a rule: the organisation, its membership, the owner, the administrators,
//! the archive, the version and the logout are the package's `guarded.toml`, decided inside
//! each statement. A handler of several statements runs them in one transaction.

use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use guarded::{Guard, guarded};
use sqlx::Any;

use crate::AppState;
use crate::claims::Member;
use crate::http::{
    ApiError, ApiJson, BODY_LIMIT, Note, NoteRow, TitleBody, TransferBody, if_match, text,
};

/// Every route of the API on `state`'s pool and verifier.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/notes", post(create_note).get(list_notes))
        .route(
            "/notes/{id}",
            get(get_note).put(rename_note).delete(delete_note),
        )
        .route("/notes/{id}/archive", post(archive_note))
        .route("/notes/{id}/transfer", post(transfer_note))
        .route("/auth/logout", post(logout))
        .fallback(|| async { ApiError::NoRoute })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// `POST /notes`: the macro appends `owner_id` (the token's `sub`) and `org_id` (its `org`),
/// and adds a WHERE to the SELECT that makes the row: the token is not logged out, and the
/// members table lists `sub` in `org`. A token for an organisation its user is not a member of
/// makes no row: 404, nothing written.
#[guarded]
async fn create_note(
    mut guard: Guard<Any, Member>,
    ApiJson(body): ApiJson<TitleBody>,
) -> Result<impl IntoResponse, ApiError> {
    let title = text(&body.title)?;
    let row: NoteRow = sqlx::query_as(
        "INSERT INTO notes (title) SELECT ? \
         RETURNING id, org_id, owner_id, title, version, CASE WHEN archived THEN 1 ELSE 0 END",
    )
    .bind(title)
    .fetch_one(&mut guard)
    .await?;
    let note = Note::from(row);
    let location = format!("/notes/{}", note.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        [(header::ETAG, note.etag())],
        Json(note),
    ))
}

/// `GET /notes`: every note of the token's organisation, whoever wrote it (`read =
/// "public"` within the scope), whatever the query says.
#[guarded]
async fn list_notes(mut guard: Guard<Any, Member>) -> Result<Json<Vec<Note>>, ApiError> {
    let rows: Vec<NoteRow> = sqlx::query_as(
        "SELECT id, org_id, owner_id, title, version, CASE WHEN archived THEN 1 ELSE 0 END \
         FROM notes ORDER BY id",
    )
    .fetch_all(&mut guard)
    .await?;
    Ok(Json(rows.into_iter().map(Note::from).collect()))
}

/// `GET /notes/{id}`: 404 when the note is not in the token's organisation, exactly as when
/// it does not exist.
#[guarded]
async fn get_note(
    mut guard: Guard<Any, Member>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let row: NoteRow = sqlx::query_as(
        "SELECT id, org_id, owner_id, title, version, CASE WHEN archived THEN 1 ELSE 0 END \
         FROM notes WHERE id = ?",
    )
    .bind(id)
    .fetch_one(&mut guard)
    .await?;
    let note = Note::from(row);
    Ok(([(header::ETAG, note.etag())], Json(note)))
}

/// `PUT /notes/{id}`: its owner only (no update grant). With `If-Match`, the UPDATE compares
/// the version itself: a stale one is a 412 decided by the write, not by an earlier read. An
/// archived note is a 409 `archived`.
#[guarded]
async fn rename_note(
    mut guard: Guard<Any, Member>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TitleBody>,
) -> Result<impl IntoResponse, ApiError> {
    let title = text(&body.title)?;
    if let Some(version) = if_match(&headers)? {
        sqlx::query(
            "UPDATE notes SET title = ?, version = version + 1 WHERE id = ? AND version = ?",
        )
        .bind(title)
        .bind(id)
        .bind(version)
        .execute(&mut guard)
        .await?;
    } else {
        sqlx::query("UPDATE notes SET title = ?, version = version + 1 WHERE id = ?")
            .bind(title)
            .bind(id)
            .execute(&mut guard)
            .await?;
    }
    let row: NoteRow = sqlx::query_as(
        "SELECT id, org_id, owner_id, title, version, CASE WHEN archived THEN 1 ELSE 0 END \
         FROM notes WHERE id = ?",
    )
    .bind(id)
    .fetch_one(&mut guard)
    .await?;
    let note = Note::from(row);
    Ok(([(header::ETAG, note.etag())], Json(note)))
}

/// `POST /notes/{id}/archive`: the owner only. Afterwards every update of it, this one
/// again included, is a 409 `archived`.
#[guarded]
async fn archive_note(
    mut guard: Guard<Any, Member>,
    Path(id): Path<i64>,
) -> Result<Json<Note>, ApiError> {
    sqlx::query("UPDATE notes SET archived = TRUE, version = version + 1 WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    let row: NoteRow = sqlx::query_as(
        "SELECT id, org_id, owner_id, title, version, CASE WHEN archived THEN 1 ELSE 0 END \
         FROM notes WHERE id = ?",
    )
    .bind(id)
    .fetch_one(&mut guard)
    .await?;
    Ok(Json(Note::from(row)))
}

/// `DELETE /notes/{id}`: its owner, or an administrator of its organisation (the members
/// table's role at the time of the statement).
#[guarded]
async fn delete_note(
    mut guard: Guard<Any, Member>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    sqlx::query("DELETE FROM notes WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /notes/{id}/transfer`: the owner only (the UPDATE sets the owner column), to another
/// member of the note's organisation. The note is read first, so that a caller outside its
/// organisation gets the 404 of a missing note and learns nothing about who is a member;
/// the UPDATE then checks the membership again itself, so a member removed in between does
/// not receive it.
#[guarded]
async fn transfer_note(
    mut guard: Guard<Any, Member>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<Json<Note>, ApiError> {
    let to = text(&body.to)?;
    let (org,): (String,) = sqlx::query_as("SELECT org_id FROM notes WHERE id = ?")
        .bind(id)
        .fetch_one(&mut guard)
        .await?;
    let members: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE org_id = ? AND user_id = ?")
            .bind(&org)
            .bind(to)
            .fetch_one(&mut guard)
            .await?;
    if members == 0 {
        return Err(ApiError::NotAMember);
    }
    sqlx::query(
        "UPDATE notes SET owner_id = ?, version = version + 1 WHERE id = ? \
         AND EXISTS (SELECT 1 FROM members t WHERE t.org_id = notes.org_id AND t.user_id = ?)",
    )
    .bind(to)
    .bind(id)
    .bind(to)
    .execute(&mut guard)
    .await?;
    let row: NoteRow = sqlx::query_as(
        "SELECT id, org_id, owner_id, title, version, CASE WHEN archived THEN 1 ELSE 0 END \
         FROM notes WHERE id = ?",
    )
    .bind(id)
    .fetch_one(&mut guard)
    .await?;
    Ok(Json(Note::from(row)))
}

/// `POST /auth/logout`: stores this token's `jti`; every write and every statement on
/// `notes` that checks the token refuses it from then on (401 `revoked`). The INSERT carries
/// the token's validity, so logging out twice is a 401 too.
#[guarded(unguarded = "revoked_tokens")]
async fn logout(mut guard: Guard<Any, Member>) -> Result<StatusCode, ApiError> {
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
