//! What the public reads add for a reader who signed in: which articles they favorited and
//! whom they follow. The public routes take `Option<Guard<Any>>` and hand a `Guard` here;
//! favorites and follows are their user's alone to read (`guarded.toml`), so each statement
//! sees the reader's rows only, and a reader who sent no credentials is never asked about.
//!
//! Each read is a row-returning SELECT, not a count: a revoked token finds no row, and the
//! guard then ends the fn as a 401, where a count would have answered 0 as for an anonymous
//! reader.

use std::collections::HashSet;

use guarded::{Guard, guarded};
use sqlx::Any;

use crate::error::AppError;

/// The ids of the reader's favorites among the articles of the list `author` filters, from
/// article `oldest` up: the page the public read chose, and any article written since
/// (looked up by id, so those do no harm).
#[guarded]
pub async fn favorited_since(
    mut guard: Guard<Any>,
    author: Option<String>,
    oldest: i64,
) -> Result<HashSet<i64>, AppError> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT a.id FROM articles a JOIN favorites v ON v.article_id = a.id \
         WHERE a.author_id = COALESCE(?, a.author_id) AND a.id >= ?",
    )
    .bind(author)
    .bind(oldest)
    .fetch_all(&mut guard)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Whether the reader favorited article `id`.
#[guarded]
pub async fn favorited(mut guard: Guard<Any>, id: i64) -> Result<bool, AppError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT v.article_id FROM favorites v WHERE v.article_id = ?")
            .bind(id)
            .fetch_optional(&mut guard)
            .await?;
    Ok(row.is_some())
}

/// Whether the reader follows `username`.
#[guarded]
pub async fn following(mut guard: Guard<Any>, username: &str) -> Result<bool, AppError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT f.followee FROM follows f WHERE f.followee = ?")
            .bind(username)
            .fetch_optional(&mut guard)
            .await?;
    Ok(row.is_some())
}
