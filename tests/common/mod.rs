//! Shared test fixtures: a SQLite database per test, tokens, and an axum app state.
#![allow(dead_code, missing_docs)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::FromRef;
use guarded::Verifier;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

pub const SCHEMA: &str = include_str!("../schema.sql");

#[derive(Clone)]
pub struct AppState {
    pub pool: SqlitePool,
    pub verifier: Verifier,
}

impl FromRef<AppState> for SqlitePool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

/// A fresh SQLite file database with the schema, unique to this test.
pub async fn sqlite() -> SqlitePool {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "guarded-test-{}-{}.db",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&path);
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .busy_timeout(std::time::Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .expect("open test database");
    sqlx::raw_sql(SCHEMA)
        .execute(&pool)
        .await
        .expect("create schema");
    pool
}

pub async fn state() -> AppState {
    AppState {
        pool: sqlite().await,
        verifier: Verifier::hs256(SECRET).expect("verifier"),
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A valid HS256 token for `sub`.
pub fn token(sub: &str) -> String {
    let claims =
        serde_json::json!({ "sub": sub, "exp": now() + 600, "nbf": now() - 5, "iat": now() });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .expect("sign token")
}

/// Inserts an item owned by `owner` directly (not through a guard) and returns its id.
pub async fn seed(pool: &SqlitePool, title: &str, owner: &str) -> i64 {
    sqlx::query_scalar("INSERT INTO items (title, owner_id) VALUES (?, ?) RETURNING id")
        .bind(title)
        .bind(owner)
        .fetch_one(pool)
        .await
        .expect("seed item")
}

/// The item's (title, owner) as stored, or `None` when it is gone.
pub async fn row(pool: &SqlitePool, id: i64) -> Option<(String, String)> {
    sqlx::query_as("SELECT title, owner_id FROM items WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
        .expect("read item")
}
