//! The guarantee through real HTTP requests into an axum `Router`, on every backend: SQLite
//! always, PostgreSQL and MariaDB when `GUARDED_TEST_PG` / `GUARDED_TEST_MYSQL` are set.
//!
//! The handlers are written once per dialect by `backend_suite!` (only their placeholders
//! differ); the tests are written once, generic over the backend.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::common::{Backend, item, row, seed, token};

/// Defines, for one backend, the guarded handlers, their router, and one `#[tokio::test]` per
/// shared test. SQL arrives as `tt` and the database as `ident` so the attribute sees plain
/// literals and paths, exactly as in hand-written code.
macro_rules! backend_suite {
    (
        $module:ident, $db:ident,
        get = $get:tt, list = $list:tt, rename = $rename:tt, delete = $delete:tt,
        create = $create:tt, touch = $touch:tt, transfer = $transfer:tt
    ) => {
        mod $module {
            use axum::extract::Path;
            use axum::http::StatusCode;
            use axum::routing::{get, post};
            use axum::{Json, Router};
            use guarded::{Guard, guarded};
            use serde::Deserialize;
            use sqlx::$db;

            use crate::common::{AppState, state_of};

            #[derive(Deserialize)]
            struct Title {
                title: String,
            }

            #[derive(Deserialize)]
            struct Transfer {
                to: String,
            }

            #[guarded(owner = "items.owner_id")]
            async fn get_item(
                mut guard: Guard<$db>,
                Path(id): Path<i64>,
            ) -> Result<Json<serde_json::Value>, guarded::Error> {
                let (title, owner): (String, String) =
                    sqlx::query_as($get).bind(id).fetch_one(&mut guard).await?;
                Ok(Json(serde_json::json!({ "id": id, "title": title, "owner": owner })))
            }

            /// `LIMIT` after the injected predicate: the subject is bound before the limit.
            #[guarded(owner = "items.owner_id")]
            async fn list_items(mut guard: Guard<$db>) -> Result<Json<Vec<i64>>, guarded::Error> {
                let ids: Vec<i64> = sqlx::query_scalar($list)
                    .bind(100_i64)
                    .fetch_all(&mut guard)
                    .await?;
                Ok(Json(ids))
            }

            #[guarded(owner = "items.owner_id")]
            async fn rename_item(
                mut guard: Guard<$db>,
                Path(id): Path<i64>,
                Json(body): Json<Title>,
            ) -> Result<StatusCode, guarded::Error> {
                sqlx::query($rename)
                    .bind(&body.title)
                    .bind(id)
                    .execute(&mut guard)
                    .await?;
                Ok(StatusCode::NO_CONTENT)
            }

            /// The same statement, reporting a denial as 403 when the row exists.
            #[guarded(owner = "items.owner_id", deny = 403)]
            async fn rename_item_403(
                mut guard: Guard<$db>,
                Path(id): Path<i64>,
                Json(body): Json<Title>,
            ) -> Result<StatusCode, guarded::Error> {
                sqlx::query($rename)
                    .bind(&body.title)
                    .bind(id)
                    .execute(&mut guard)
                    .await?;
                Ok(StatusCode::NO_CONTENT)
            }

            #[guarded(owner = "items.owner_id")]
            async fn delete_item(
                mut guard: Guard<$db>,
                Path(id): Path<i64>,
            ) -> Result<StatusCode, guarded::Error> {
                sqlx::query($delete).bind(id).execute(&mut guard).await?;
                Ok(StatusCode::NO_CONTENT)
            }

            #[guarded(owner = "items.owner_id")]
            async fn create_item(
                mut guard: Guard<$db>,
                Json(body): Json<Title>,
            ) -> Result<StatusCode, guarded::Error> {
                sqlx::query($create).bind(&body.title).execute(&mut guard).await?;
                Ok(StatusCode::CREATED)
            }

            /// Touches two items in one call: when the second is not the caller's, the first
            /// rolls back.
            #[guarded(owner = "items.owner_id")]
            async fn touch_pair(
                mut guard: Guard<$db>,
                Path((a, b)): Path<(i64, i64)>,
            ) -> Result<StatusCode, guarded::Error> {
                for id in [a, b] {
                    sqlx::query($touch).bind(id).execute(&mut guard).await?;
                }
                Ok(StatusCode::NO_CONTENT)
            }

            #[guarded(owner = "items.owner_id")]
            async fn transfer_item(
                mut guard: Guard<$db>,
                Path(id): Path<i64>,
                Json(body): Json<Transfer>,
            ) -> Result<StatusCode, guarded::Error> {
                sqlx::query($transfer)
                    .bind(&body.to)
                    .bind(id)
                    .execute(&mut guard)
                    .await?;
                Ok(StatusCode::NO_CONTENT)
            }

            /// Writes, then panics before returning.
            #[guarded(owner = "items.owner_id")]
            pub(crate) async fn touch_then_panic(
                mut guard: Guard<$db>,
                id: i64,
            ) -> Result<(), guarded::Error> {
                sqlx::query($touch).bind(id).execute(&mut guard).await?;
                sqlx::query($touch).bind(id).execute(&mut guard).await?;
                panic!("crash after the first write");
            }

            /// Writes, then waits forever: the caller drops the future.
            #[guarded(owner = "items.owner_id")]
            pub(crate) async fn touch_then_hang(
                mut guard: Guard<$db>,
                id: i64,
            ) -> Result<(), guarded::Error> {
                sqlx::query($touch).bind(id).execute(&mut guard).await?;
                std::future::pending::<()>().await;
                sqlx::query($touch).bind(id).execute(&mut guard).await?;
                Ok(())
            }

            pub(crate) fn guard_for(state: &AppState<$db>, sub: &str) -> Guard<$db> {
                $crate::common::guard(&state.pool, sub)
            }

            fn app(state: AppState<$db>) -> Router {
                Router::new()
                    .route("/items", post(create_item).get(list_items))
                    .route(
                        "/items/{id}",
                        get(get_item).put(rename_item).delete(delete_item),
                    )
                    .route("/items/{id}/strict", post(rename_item_403))
                    .route("/items/{id}/transfer", post(transfer_item))
                    .route("/pairs/{a}/{b}", post(touch_pair))
                    .with_state(state)
            }

            backend_suite!(@tests $db:
                owner_reads_updates_and_deletes,
                stranger_gets_404_and_changes_nothing,
                deny_403_tells_existing_from_missing,
                insert_sets_the_owner_from_the_token,
                list_returns_only_the_callers_items,
                an_unchanged_update_by_the_owner_is_not_a_denial,
                transfer_moves_the_item_and_locks_out_the_old_owner,
                a_denied_second_statement_rolls_back_the_first,
                missing_token_is_401_with_a_bearer_challenge,
            );
            backend_suite!(@rollback $db: a_panic_rolls_back, a_dropped_future_rolls_back);
        }
    };
    (@tests $db:ident: $($test:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $test() {
                let Some(state) = state_of::<$db>().await else { return };
                super::$test(&app(state.clone()), &state.pool).await;
            }
        )*
    };
    (@rollback $db:ident: $($test:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $test() {
                let Some(state) = state_of::<$db>().await else { return };
                super::$test(
                    &state.pool,
                    |id| touch_then_panic(guard_for(&state, "alice"), id),
                    |id| touch_then_hang(guard_for(&state, "alice"), id),
                )
                .await;
            }
        )*
    };
}

backend_suite!(
    sqlite,
    Sqlite,
    get = "SELECT title, owner_id FROM items WHERE id = ?",
    list = "SELECT id FROM items ORDER BY id LIMIT ?",
    rename = "UPDATE items SET title = ? WHERE id = ?",
    delete = "DELETE FROM items WHERE id = ?",
    create = "INSERT INTO items (title) VALUES (?)",
    touch = "UPDATE items SET title = 'touched', version = version + 1 WHERE id = ?",
    transfer = "UPDATE items SET owner_id = ? WHERE id = ?"
);

backend_suite!(
    postgres,
    Postgres,
    get = "SELECT title, owner_id FROM items WHERE id = $1",
    list = "SELECT id FROM items ORDER BY id LIMIT $1",
    rename = "UPDATE items SET title = $1 WHERE id = $2",
    delete = "DELETE FROM items WHERE id = $1",
    create = "INSERT INTO items (title) VALUES ($1)",
    touch = "UPDATE items SET title = 'touched', version = version + 1 WHERE id = $1",
    transfer = "UPDATE items SET owner_id = $1 WHERE id = $2"
);

backend_suite!(
    mariadb,
    MySql,
    get = "SELECT title, owner_id FROM items WHERE id = ?",
    list = "SELECT id FROM items ORDER BY id LIMIT ?",
    rename = "UPDATE items SET title = ? WHERE id = ?",
    delete = "DELETE FROM items WHERE id = ?",
    create = "INSERT INTO items (title) VALUES (?)",
    touch = "UPDATE items SET title = 'touched', version = version + 1 WHERE id = ?",
    transfer = "UPDATE items SET owner_id = ? WHERE id = ?"
);

async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    user: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, String) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(user) = user {
        request = request.header(header::AUTHORIZATION, format!("Bearer {}", token(user)));
    }
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

async fn owner_reads_updates_and_deletes<DB: Backend>(app: &Router, pool: &sqlx::Pool<DB>) {
    let id = seed(pool, "first", "alice").await;

    let (status, body) = send(app, "GET", &format!("/items/{id}"), Some("alice"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"first\""), "{body}");

    let rename = Some(r#"{"title":"renamed"}"#);
    let (status, body) = send(app, "PUT", &format!("/items/{id}"), Some("alice"), rename).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(row(pool, id).await, Some(item("renamed", "alice")));

    let (status, body) = send(app, "DELETE", &format!("/items/{id}"), Some("alice"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(row(pool, id).await, None);
}

async fn stranger_gets_404_and_changes_nothing<DB: Backend>(app: &Router, pool: &sqlx::Pool<DB>) {
    let id = seed(pool, "mine", "alice").await;
    for (method, uri, body) in [
        ("GET", format!("/items/{id}"), None),
        ("PUT", format!("/items/{id}"), Some(r#"{"title":"stolen"}"#)),
        ("DELETE", format!("/items/{id}"), None),
        (
            "POST",
            format!("/items/{id}/transfer"),
            Some(r#"{"to":"mallory"}"#),
        ),
    ] {
        let (status, text) = send(app, method, &uri, Some("mallory"), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}: {text}");
        assert!(text.contains("not_found"), "{text}");
        assert!(
            !text.to_lowercase().contains("items"),
            "no SQL in the body: {text}"
        );
    }
    assert_eq!(row(pool, id).await, Some(item("mine", "alice")));
}

async fn deny_403_tells_existing_from_missing<DB: Backend>(app: &Router, pool: &sqlx::Pool<DB>) {
    let id = seed(pool, "mine", "alice").await;
    let body = Some(r#"{"title":"stolen"}"#);
    let (status, _) = send(
        app,
        "POST",
        &format!("/items/{id}/strict"),
        Some("mallory"),
        body,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let missing = id + 1000;
    let (status, _) = send(
        app,
        "POST",
        &format!("/items/{missing}/strict"),
        Some("mallory"),
        body,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        app,
        "POST",
        &format!("/items/{id}/strict"),
        Some("alice"),
        Some(r#"{"title":"ok"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(row(pool, id).await, Some(item("ok", "alice")));
}

async fn insert_sets_the_owner_from_the_token<DB: Backend>(app: &Router, pool: &sqlx::Pool<DB>) {
    let (status, body) = send(
        app,
        "POST",
        "/items",
        Some("bob"),
        Some(r#"{"title":"new"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = send(app, "GET", "/items", Some("bob"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ids: Vec<i64> = serde_json::from_str(&body).expect("ids");
    assert_eq!(ids.len(), 1, "{body}");
    assert_eq!(row(pool, ids[0]).await, Some(item("new", "bob")));
}

async fn list_returns_only_the_callers_items<DB: Backend>(app: &Router, pool: &sqlx::Pool<DB>) {
    let a1 = seed(pool, "a1", "alice").await;
    seed(pool, "b1", "bob").await;
    let a2 = seed(pool, "a2", "alice").await;
    let (status, body) = send(app, "GET", "/items", Some("alice"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        serde_json::from_str::<Vec<i64>>(&body).expect("ids"),
        [a1, a2]
    );
}

/// MySQL reports rows *changed* unless the client asks for rows *matched* (sqlx does): an
/// owner's update that changes nothing must not read as a denial.
async fn an_unchanged_update_by_the_owner_is_not_a_denial<DB: Backend>(
    app: &Router,
    pool: &sqlx::Pool<DB>,
) {
    let id = seed(pool, "same", "alice").await;
    let same = Some(r#"{"title":"same"}"#);
    let (status, body) = send(app, "PUT", &format!("/items/{id}"), Some("alice"), same).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

async fn transfer_moves_the_item_and_locks_out_the_old_owner<DB: Backend>(
    app: &Router,
    pool: &sqlx::Pool<DB>,
) {
    let id = seed(pool, "gift", "alice").await;
    let to_bob = Some(r#"{"to":"bob"}"#);
    let (status, body) = send(
        app,
        "POST",
        &format!("/items/{id}/transfer"),
        Some("alice"),
        to_bob,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = send(app, "DELETE", &format!("/items/{id}"), Some("alice"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(row(pool, id).await, Some(item("gift", "bob")));
}

async fn a_denied_second_statement_rolls_back_the_first<DB: Backend>(
    app: &Router,
    pool: &sqlx::Pool<DB>,
) {
    let mine = seed(pool, "mine", "alice").await;
    let theirs = seed(pool, "theirs", "bob").await;
    let (status, _) = send(
        app,
        "POST",
        &format!("/pairs/{mine}/{theirs}"),
        Some("alice"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(row(pool, mine).await, Some(item("mine", "alice")));
    assert_eq!(row(pool, theirs).await, Some(item("theirs", "bob")));

    let other = seed(pool, "also mine", "alice").await;
    let (status, _) = send(
        app,
        "POST",
        &format!("/pairs/{mine}/{other}"),
        Some("alice"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(row(pool, mine).await, Some(item("touched", "alice")));
    assert_eq!(row(pool, other).await, Some(item("touched", "alice")));
}

async fn missing_token_is_401_with_a_bearer_challenge<DB: Backend>(
    app: &Router,
    pool: &sqlx::Pool<DB>,
) {
    let id = seed(pool, "mine", "alice").await;
    let request = Request::builder()
        .method("DELETE")
        .uri(format!("/items/{id}"))
        .body(Body::empty())
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()[header::WWW_AUTHENTICATE],
        "Bearer",
        "no credentials, no error code (RFC 6750 §3.1)"
    );
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    assert_eq!(row(pool, id).await, Some(item("mine", "alice")));
}

async fn a_panic_rolls_back<DB, P, H, PF, HF>(pool: &sqlx::Pool<DB>, panics: P, _hangs: H)
where
    DB: Backend,
    P: FnOnce(i64) -> PF,
    H: FnOnce(i64) -> HF,
    PF: Future<Output = Result<(), guarded::Error>> + Send + 'static,
{
    let id = seed(pool, "intact", "alice").await;
    let task = tokio::spawn(panics(id));
    assert!(task.await.expect_err("the fn panics").is_panic());
    assert_eq!(row(pool, id).await, Some(item("intact", "alice")));
}

async fn a_dropped_future_rolls_back<DB, P, H, PF, HF>(pool: &sqlx::Pool<DB>, _panics: P, hangs: H)
where
    DB: Backend,
    P: FnOnce(i64) -> PF,
    H: FnOnce(i64) -> HF,
    HF: Future<Output = Result<(), guarded::Error>>,
{
    let id = seed(pool, "intact", "alice").await;
    let outcome = tokio::time::timeout(Duration::from_millis(300), hangs(id)).await;
    assert!(
        outcome.is_err(),
        "the fn never returns; the timeout drops it"
    );
    assert_eq!(row(pool, id).await, Some(item("intact", "alice")));
}
