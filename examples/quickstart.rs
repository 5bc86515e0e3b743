//! The smallest guarded API: one table, one owner column, an owner's write and a stranger's.
//!
//! `cargo run --example quickstart` starts nothing long-lived: it builds the router, sends
//! three requests into it and prints what happened to the row.

use axum::body::Body;
use axum::extract::{FromRef, Path};
use axum::http::{Request, StatusCode, header};
use axum::routing::put;
use axum::{Json, Router};
use guarded::{Guard, Verifier, guarded};
use serde::Deserialize;
use sqlx::{Sqlite, SqlitePool};
use tower::ServiceExt;

#[derive(Clone, FromRef)]
struct AppState {
    pool: SqlitePool,
    verifier: Verifier,
}

#[derive(Deserialize)]
struct Rename {
    title: String,
}

/// Runs as `UPDATE items SET title = ? WHERE (items.owner_id = $3 AND items.owner_id = $3
/// COLLATE BINARY) AND (id = ?)`, the subject bound from the verified token: the database
/// decides "yours?" and "write" at once.
#[guarded(owner = "items.owner_id")]
async fn rename_item(
    mut guard: Guard<Sqlite>,
    Path(id): Path<i64>,
    Json(body): Json<Rename>,
) -> Result<StatusCode, guarded::Error> {
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(&body.title)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

const SECRET: &[u8] = b"quickstart-secret-change-me-32-bytes!";

fn token(sub: &str) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        + 300;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        // `exp`, `nbf` and `sub` are required: the verifier refuses a token without them.
        &serde_json::json!({ "sub": sub, "nbf": exp - 300, "exp": exp }),
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .expect("signing with an HMAC key cannot fail")
}

async fn rename_as(app: &Router, user: &str, title: &str) -> StatusCode {
    let request = Request::builder()
        .method("PUT")
        .uri("/items/1")
        .header(header::AUTHORIZATION, format!("Bearer {}", token(user)))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::json!({ "title": title }).to_string(),
        ))
        .expect("valid request");
    app.clone()
        .oneshot(request)
        .await
        .map_or(StatusCode::INTERNAL_SERVER_ERROR, |r| r.status())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One connection: an in-memory SQLite database lives and dies with its connection.
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await?;
    sqlx::raw_sql(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, owner_id TEXT NOT NULL);
         INSERT INTO items (id, title, owner_id) VALUES (1, 'alice''s notes', 'alice');",
    )
    .execute(&pool)
    .await?;
    let state = AppState {
        pool: pool.clone(),
        verifier: Verifier::hs256(SECRET)?,
    };
    let app = Router::new()
        .route("/items/{id}", put(rename_item))
        .with_state(state);

    let alice = rename_as(&app, "alice", "renamed by alice").await;
    println!("alice renames her item:   {alice}");
    let mallory = rename_as(&app, "mallory", "stolen").await;
    println!("mallory renames it:       {mallory}");
    let (title, owner): (String, String) =
        sqlx::query_as("SELECT title, owner_id FROM items WHERE id = 1")
            .fetch_one(&pool)
            .await?;
    println!("the row now:              title = {title:?}, owner = {owner:?}");
    // The demo is also a check: `tests/it/demos.rs` runs it and relies on this exit status.
    if (alice, mallory, title.as_str())
        != (
            StatusCode::NO_CONTENT,
            StatusCode::NOT_FOUND,
            "renamed by alice",
        )
    {
        return Err("the demo did not behave as documented".into());
    }
    Ok(())
}
