//! Articles and their comments. Anyone reads them; only an article's author changes or
//! deletes it, and only a comment's author deletes the comment. No handler says so: the
//! crate's `guarded.toml` does, and `#[guarded]` puts it into each statement.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum_extra::extract::WithRejection;
use guarded::{Guard, guarded};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Any;
use sqlx::error::ErrorKind;

use crate::db::Db;
use crate::error::AppError;
use crate::reader;

/// An article as the API shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Article {
    slug: String,
    title: String,
    body: String,
    author: String,
    /// Counted by the public reads; a guarded fn sees only the caller's favorites
    /// (`guarded.toml`), so its answers leave the count out.
    #[serde(skip_serializing_if = "Option::is_none")]
    favorites_count: Option<i64>,
    /// Whether the reader favorited it: `false` for a reader who did not sign in.
    favorited: bool,
}

/// `id, slug, title, body, author_id, favorites` as the public reads select them.
type ArticleRow = (i64, String, String, String, String, i64);

impl Article {
    fn public(
        (_, slug, title, body, author, favorites_count): ArticleRow,
        favorited: bool,
    ) -> Self {
        Self {
            slug,
            title,
            body,
            author,
            favorites_count: Some(favorites_count),
            favorited,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    title: String,
    body: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleChange {
    title: Option<String>,
    body: Option<String>,
}

/// `{"article": ...}`, as `RealWorld` wraps its bodies.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wrapped<T> {
    article: T,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    author: Option<String>,
}

/// `GET /api/articles[?author=NAME]`: the newest twenty, to anyone. A reader who signed in
/// also sees which they favorited; one who sent no credentials sees `favorited: false`, and
/// one who sent bad ones (forged, expired, revoked, another scheme) is a 401, never served as
/// anonymous.
pub async fn list(
    WithRejection(signed_in, _): WithRejection<Option<Guard<Any>>, AppError>,
    State(db): State<Db>,
    WithRejection(Query(filter), _): WithRejection<Query<Filter>, AppError>,
) -> Result<Json<Value>, AppError> {
    // The page and its counts are public: read on the pool, where the count sees everyone's
    // favorites (a guarded statement would count the reader's only).
    let rows: Vec<ArticleRow> = sqlx::query_as(db.sql(
        "SELECT a.id, a.slug, a.title, a.body, a.author_id, \
         (SELECT COUNT(*) FROM favorites f WHERE f.article_id = a.id) \
         FROM articles a WHERE a.author_id = COALESCE(?, a.author_id) ORDER BY a.id DESC LIMIT 20",
    ))
    .bind(filter.author.clone())
    .fetch_all(db.pool())
    .await?;
    let favorited = match signed_in {
        // Asked on an empty page too, so that a revoked token is refused there as well.
        Some(guard) => {
            let oldest = rows.last().map_or(i64::MAX, |row| row.0);
            reader::favorited_since(guard, filter.author, oldest).await?
        }
        None => HashSet::new(),
    };
    let articles: Vec<Article> = rows
        .into_iter()
        .map(|row| {
            let favorited = favorited.contains(&row.0);
            Article::public(row, favorited)
        })
        .collect();
    Ok(Json(
        json!({ "articlesCount": articles.len(), "articles": articles }),
    ))
}

/// `GET /api/articles/{slug}`: to anyone, with `favorited` as in the list.
pub async fn get(
    WithRejection(signed_in, _): WithRejection<Option<Guard<Any>>, AppError>,
    State(db): State<Db>,
    Path(slug): Path<String>,
) -> Result<Json<Value>, AppError> {
    let row: Option<ArticleRow> = sqlx::query_as(db.sql(
        "SELECT a.id, a.slug, a.title, a.body, a.author_id, \
         (SELECT COUNT(*) FROM favorites f WHERE f.article_id = a.id) \
         FROM articles a WHERE a.slug = ?",
    ))
    .bind(slug)
    .fetch_optional(db.pool())
    .await?;
    let row = row.ok_or(AppError::NotFound("article"))?;
    let favorited = match signed_in {
        Some(guard) => reader::favorited(guard, row.0).await?,
        None => false,
    };
    Ok(Json(json!({ "article": Article::public(row, favorited) })))
}

/// `POST /api/articles`: the author is the caller, whatever the body says (a body naming one
/// is refused: unknown field). The slug comes from the title and is unique.
#[guarded]
pub async fn create(
    WithRejection(mut guard, _): WithRejection<Guard<Any>, AppError>,
    WithRejection(Json(body), _): WithRejection<Json<Wrapped<NewArticle>>, AppError>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let NewArticle { title, body } = body.article;
    let title = text("title", &title, 200)?;
    let body = text("body", &body, 20_000)?;
    let slug = slug(title)?;
    let author = guard.subject().clone();
    sqlx::query("INSERT INTO articles (slug, title, body) SELECT ?, ?, ?")
        .bind(&slug)
        .bind(title)
        .bind(body)
        .execute(&mut guard)
        .await
        .map_err(|e| match e.constraint_violation() {
            Some(ErrorKind::UniqueViolation) => {
                AppError::Invalid("title", "has already been taken")
            }
            _ => e.into(),
        })?;
    let article = Article {
        slug,
        title: title.to_owned(),
        body: body.to_owned(),
        author,
        favorites_count: Some(0),
        favorited: false,
    };
    Ok((StatusCode::CREATED, Json(json!({ "article": article }))))
}

/// `PUT /api/articles/{slug}`: the author's alone; another user's article is a 403 (`RealWorld`'s
/// answer), a missing one a 404. The slug stays, so links to the article keep working.
#[guarded(deny = 403)]
pub async fn update(
    WithRejection(mut guard, _): WithRejection<Guard<Any>, AppError>,
    Path(slug): Path<String>,
    WithRejection(Json(body), _): WithRejection<Json<Wrapped<ArticleChange>>, AppError>,
) -> Result<Json<Value>, AppError> {
    let ArticleChange { title, body } = body.article;
    let title = title
        .as_deref()
        .map(|t| text("title", t, 200))
        .transpose()?;
    let body = body
        .as_deref()
        .map(|b| text("body", b, 20_000))
        .transpose()?;
    sqlx::query(
        "UPDATE articles SET title = COALESCE(?, title), body = COALESCE(?, body) WHERE slug = ?",
    )
    .bind(title)
    .bind(body)
    .bind(&slug)
    .execute(&mut guard)
    .await?;
    // The EXISTS reads `favorites`, so it sees the caller's favorites only: `favorited`.
    let (slug, title, body, author, favorited): (String, String, String, String, i64) =
        sqlx::query_as(
            "SELECT slug, title, body, author_id, \
             CASE WHEN EXISTS (SELECT 1 FROM favorites v WHERE v.article_id = articles.id) \
             THEN 1 ELSE 0 END FROM articles WHERE slug = ?",
        )
        .bind(&slug)
        .fetch_one(&mut guard)
        .await?;
    let article = Article {
        slug,
        title,
        body,
        author,
        favorites_count: None,
        favorited: favorited == 1,
    };
    Ok(Json(json!({ "article": article })))
}

/// `DELETE /api/articles/{slug}`: the author's alone (403 for another's). Its comments and
/// favorites go with it (`ON DELETE CASCADE`: the database's rule, not the guard's).
#[guarded(deny = 403)]
pub async fn delete(
    WithRejection(mut guard, _): WithRejection<Guard<Any>, AppError>,
    Path(slug): Path<String>,
) -> Result<StatusCode, AppError> {
    sqlx::query("DELETE FROM articles WHERE slug = ?")
        .bind(slug)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct Comment {
    id: i64,
    body: String,
    author: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    comment: CommentBody,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    body: String,
}

/// `GET /api/articles/{slug}/comments`, oldest first. Public.
pub async fn comments(
    State(db): State<Db>,
    Path(slug): Path<String>,
) -> Result<Json<Value>, AppError> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(db.sql(
        "SELECT c.id, c.body, c.author_id FROM comments c \
         JOIN articles a ON a.id = c.article_id WHERE a.slug = ? ORDER BY c.id",
    ))
    .bind(slug)
    .fetch_all(db.pool())
    .await?;
    let comments: Vec<Comment> = rows
        .into_iter()
        .map(|(id, body, author)| Comment { id, body, author })
        .collect();
    Ok(Json(json!({ "comments": comments })))
}

/// `POST /api/articles/{slug}/comments`: anyone signed in comments on any article (articles
/// are `read = "public"` in `guarded.toml`); the comment is the caller's. No such article:
/// the INSERT writes nothing, which under `[token] valid` ends the fn as a 404 like any
/// guarded write that matches nothing.
#[guarded]
pub async fn comment(
    WithRejection(mut guard, _): WithRejection<Guard<Any>, AppError>,
    Path(slug): Path<String>,
    WithRejection(Json(body), _): WithRejection<Json<NewComment>, AppError>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let body = text("body", &body.comment.body, 5_000)?.to_owned();
    let author = guard.subject().clone();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO comments (article_id, body) SELECT a.id, ? FROM articles a WHERE a.slug = ? \
         RETURNING id",
    )
    .bind(&body)
    .bind(slug)
    .fetch_one(&mut guard)
    .await?;
    let comment = Comment { id, body, author };
    Ok((StatusCode::CREATED, Json(json!({ "comment": comment }))))
}

/// `DELETE /api/articles/{slug}/comments/{id}`: the comment's author's alone (404 otherwise).
#[guarded]
pub async fn delete_comment(
    WithRejection(mut guard, _): WithRejection<Guard<Any>, AppError>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<StatusCode, AppError> {
    sqlx::query(
        "DELETE FROM comments WHERE id = ? AND article_id = (SELECT a.id FROM articles a WHERE a.slug = ?)",
    )
    .bind(id)
    .bind(slug)
    .execute(&mut guard)
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `value` trimmed, non-empty and at most `max` characters, or a 422 on `field`.
fn text<'v>(field: &'static str, value: &'v str, max: usize) -> Result<&'v str, AppError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(AppError::Invalid(
            field,
            "must be non-empty and not too long",
        ));
    }
    Ok(value)
}

/// `How to train your dragon!` -> `how-to-train-your-dragon`.
fn slug(title: &str) -> Result<String, AppError> {
    let words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return Err(AppError::Invalid("title", "needs a letter or a digit"));
    }
    Ok(words.join("-"))
}
