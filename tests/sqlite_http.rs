//! The guarantee on SQLite, through real HTTP requests into an axum `Router`.

mod common;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use common::{AppState, row, seed, state, token};
use guarded::{Guard, guarded};
use http_body_util::BodyExt;
use serde::Deserialize;
use sqlx::Sqlite;
use tower::ServiceExt;

#[derive(Deserialize)]
struct Rename {
    title: String,
}

#[guarded(owner = "items.owner_id")]
async fn get_item(
    mut guard: Guard<Sqlite>,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, guarded::Error> {
    let (title, owner): (String, String) =
        sqlx::query_as("SELECT title, owner_id FROM items WHERE id = ?")
            .bind(id)
            .fetch_one(&mut guard)
            .await?;
    Ok(Json(
        serde_json::json!({ "id": id, "title": title, "owner": owner }),
    ))
}

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

#[guarded(owner = "items.owner_id")]
async fn delete_item(
    mut guard: Guard<Sqlite>,
    Path(id): Path<i64>,
) -> Result<StatusCode, guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[guarded(owner = "items.owner_id")]
async fn create_item(
    mut guard: Guard<Sqlite>,
    Json(body): Json<Rename>,
) -> Result<(StatusCode, Json<i64>), guarded::Error> {
    let id: i64 = sqlx::query_scalar("INSERT INTO items (title) VALUES (?) RETURNING id")
        .bind(&body.title)
        .fetch_one(&mut guard)
        .await?;
    Ok((StatusCode::CREATED, Json(id)))
}

/// Renames two items in one call: when the second is not the caller's, the first rolls back.
#[guarded(owner = "items.owner_id")]
async fn rename_pair(
    mut guard: Guard<Sqlite>,
    Path((a, b)): Path<(i64, i64)>,
) -> Result<StatusCode, guarded::Error> {
    for id in [a, b] {
        sqlx::query("UPDATE items SET title = 'paired' WHERE id = ?")
            .bind(id)
            .execute(&mut guard)
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/items", post(create_item))
        .route(
            "/items/{id}",
            get(get_item).put(rename_item).delete(delete_item),
        )
        .route("/pairs/{a}/{b}", post(rename_pair))
        .with_state(state)
}

async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    user: &str,
    body: Option<&str>,
) -> (StatusCode, String) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {}", token(user)));
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(Body::from(body.unwrap_or_default().to_owned()))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn owner_reads_updates_and_deletes() {
    let state = state().await;
    let id = seed(&state.pool, "first", "alice").await;
    let app = app(state.clone());

    let (status, body) = send(&app, "GET", &format!("/items/{id}"), "alice", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"first\""), "{body}");

    let (status, _) = send(
        &app,
        "PUT",
        &format!("/items/{id}"),
        "alice",
        Some(r#"{"title":"renamed"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        row(&state.pool, id).await,
        Some(("renamed".into(), "alice".into()))
    );

    let (status, _) = send(&app, "DELETE", &format!("/items/{id}"), "alice", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(row(&state.pool, id).await, None);
}

#[tokio::test]
async fn stranger_gets_404_and_changes_nothing() {
    let state = state().await;
    let id = seed(&state.pool, "mine", "alice").await;
    let app = app(state.clone());

    for (method, body) in [
        ("GET", None),
        ("PUT", Some(r#"{"title":"stolen"}"#)),
        ("DELETE", None),
    ] {
        let (status, text) = send(&app, method, &format!("/items/{id}"), "mallory", body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}: {text}");
        assert!(text.contains("not_found"), "{text}");
        assert!(
            !text.to_lowercase().contains("items"),
            "no SQL in the body: {text}"
        );
    }
    assert_eq!(
        row(&state.pool, id).await,
        Some(("mine".into(), "alice".into()))
    );
}

#[tokio::test]
async fn insert_sets_the_owner_from_the_token() {
    let state = state().await;
    let app = app(state.clone());
    let (status, body) = send(&app, "POST", "/items", "bob", Some(r#"{"title":"new"}"#)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id: i64 = body.parse().expect("id");
    assert_eq!(
        row(&state.pool, id).await,
        Some(("new".into(), "bob".into()))
    );
}

#[tokio::test]
async fn a_denied_second_statement_rolls_back_the_first() {
    let state = state().await;
    let mine = seed(&state.pool, "mine", "alice").await;
    let theirs = seed(&state.pool, "theirs", "bob").await;
    let app = app(state.clone());
    let (status, _) = send(
        &app,
        "POST",
        &format!("/pairs/{mine}/{theirs}"),
        "alice",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        row(&state.pool, mine).await,
        Some(("mine".into(), "alice".into()))
    );
    assert_eq!(
        row(&state.pool, theirs).await,
        Some(("theirs".into(), "bob".into()))
    );

    let other = seed(&state.pool, "also mine", "alice").await;
    let (status, _) = send(
        &app,
        "POST",
        &format!("/pairs/{mine}/{other}"),
        "alice",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        row(&state.pool, mine).await,
        Some(("paired".into(), "alice".into()))
    );
}

#[tokio::test]
async fn missing_token_is_401_with_a_bearer_challenge() {
    let state = state().await;
    let id = seed(&state.pool, "mine", "alice").await;
    let request = Request::builder()
        .method("DELETE")
        .uri(format!("/items/{id}"))
        .body(Body::empty())
        .expect("request");
    let response = app(state.clone()).oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()[header::WWW_AUTHENTICATE],
        r#"Bearer error="invalid_token""#
    );
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    assert!(row(&state.pool, id).await.is_some());
}
