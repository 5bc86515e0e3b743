//! Favorites, follows and the feed: rows that belong to one user. `guarded.toml` makes
//! `favorites` and `follows` owner-read as well as owner-write, so a statement here sees the
//! caller's rows only: the feed cannot show whom another user follows, whatever its SQL says.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum_extra::extract::WithRejection;
use guarded::{Guard, guarded};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::Any;

use crate::db::Db;
use crate::error::AppError;
use crate::reader;

/// `POST /api/articles/{slug}/favorite`: idempotent; 404 for no such article.
#[guarded]
pub async fn favorite(
    WithRejection(mut guard, _): WithRejection<Guard<Any>, AppError>,
    Path(slug): Path<String>,
) -> Result<StatusCode, AppError> {
    let article: Option<(i64,)> = sqlx::query_as("SELECT id FROM articles WHERE slug = ?")
        .bind(slug)
        .fetch_optional(&mut guard)
        .await?;
    let (id,) = article.ok_or(AppError::NotFound("article"))?;
    // The NOT EXISTS reads `favorites`, so it sees the caller's favorites only. Inserting
    // nothing (a favorite already there) is fine: `.idempotent()`. A revoked token inserts
    // nothing too, and is still told so (401).
    sqlx::query(
        "INSERT INTO favorites (article_id) SELECT ? \
         WHERE NOT EXISTS (SELECT 1 FROM favorites f WHERE f.article_id = ?)",
    )
    .bind(id)
    .bind(id)
    .idempotent()
    .execute(&mut guard)
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/articles/{slug}/favorite`: idempotent, as a delete should be: removing a
/// favorite that is not there (or of an article that is not) is done already.
#[guarded]
pub async fn unfavorite(
    WithRejection(mut guard, _): WithRejection<Guard<Any>, AppError>,
    Path(slug): Path<String>,
) -> Result<StatusCode, AppError> {
    sqlx::query(
        "DELETE FROM favorites WHERE article_id IN (SELECT a.id FROM articles a WHERE a.slug = ?)",
    )
    .bind(slug)
    .idempotent()
    .execute(&mut guard)
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct Profile {
    username: String,
    following: bool,
}

/// `GET /api/profiles/{username}`: to anyone; `following` says whether the reader follows
/// them (`false` for a reader who sent no credentials; bad ones are a 401).
pub async fn profile(
    WithRejection(signed_in, _): WithRejection<Option<Guard<Any>>, AppError>,
    State(db): State<Db>,
    Path(username): Path<String>,
) -> Result<Json<Value>, AppError> {
    let user: Option<(String,)> =
        sqlx::query_as(db.sql("SELECT username FROM users WHERE username = ?"))
            .bind(&username)
            .fetch_optional(db.pool())
            .await?;
    let (username,) = user.ok_or(AppError::NotFound("profile"))?;
    let following = match signed_in {
        Some(guard) => reader::following(guard, &username).await?,
        None => false,
    };
    let profile = Profile {
        username,
        following,
    };
    Ok(Json(json!({ "profile": profile })))
}

/// `POST /api/profiles/{username}/follow`: idempotent; 404 for no such user.
#[guarded]
pub async fn follow(
    WithRejection(mut guard, _): WithRejection<Guard<Any>, AppError>,
    Path(username): Path<String>,
) -> Result<Json<Value>, AppError> {
    let user: Option<(String,)> = sqlx::query_as("SELECT username FROM users WHERE username = ?")
        .bind(&username)
        .fetch_optional(&mut guard)
        .await?;
    user.ok_or(AppError::NotFound("profile"))?;
    sqlx::query(
        "INSERT INTO follows (followee) SELECT ? \
         WHERE NOT EXISTS (SELECT 1 FROM follows f WHERE f.followee = ?)",
    )
    .bind(&username)
    .bind(&username)
    .idempotent()
    .execute(&mut guard)
    .await?;
    let profile = Profile {
        username,
        following: true,
    };
    Ok(Json(json!({ "profile": profile })))
}

/// `DELETE /api/profiles/{username}/follow`: idempotent.
#[guarded]
pub async fn unfollow(
    WithRejection(mut guard, _): WithRejection<Guard<Any>, AppError>,
    Path(username): Path<String>,
) -> Result<Json<Value>, AppError> {
    sqlx::query("DELETE FROM follows WHERE followee = ?")
        .bind(&username)
        .idempotent()
        .execute(&mut guard)
        .await?;
    let profile = Profile {
        username,
        following: false,
    };
    Ok(Json(json!({ "profile": profile })))
}

#[derive(Serialize)]
struct FeedArticle {
    slug: String,
    title: String,
    author: String,
    favorited: bool,
}

/// `GET /api/articles/feed`: the newest twenty articles of the authors the reader follows,
/// each with whether the reader favorited it; empty for a reader who sent no credentials (who
/// follows no one), a 401 for bad ones.
pub async fn feed(
    WithRejection(signed_in, _): WithRejection<Option<Guard<Any>>, AppError>,
) -> Result<Json<Value>, AppError> {
    let articles = match signed_in {
        Some(guard) => feed_of(guard).await?,
        None => Vec::new(),
    };
    Ok(Json(
        json!({ "articlesCount": articles.len(), "articles": articles }),
    ))
}

/// The reader's feed. Both reads of per-user tables carry the reader's predicate, so neither
/// can be another user's follows or favorites.
#[guarded]
async fn feed_of(mut guard: Guard<Any>) -> Result<Vec<FeedArticle>, AppError> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT a.slug, a.title, a.author_id, \
         CASE WHEN EXISTS (SELECT 1 FROM favorites v WHERE v.article_id = a.id) THEN 1 ELSE 0 END \
         FROM articles a JOIN follows f ON f.followee = a.author_id \
         ORDER BY a.id DESC LIMIT 20",
    )
    .fetch_all(&mut guard)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(slug, title, author, favorited)| FeedArticle {
            slug,
            title,
            author,
            favorited: favorited == 1,
        })
        .collect())
}
