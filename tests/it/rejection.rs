//! An app's own rejection: axum-extra's `WithRejection<Guard<..>, AppError>` answers a refused
//! token in the app's format, and `#[guarded]` finds the guard inside it, also behind a type
//! alias. The app's error comes from `guarded::Error`, so denials are the app's format too.

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum_extra::extract::WithRejection;
use guarded::{Guard, guarded};
use http_body_util::BodyExt;
use sqlx::Sqlite;
use tower::ServiceExt;

use crate::common::{self, AppState, item, row, seed, token};

/// The app's errors, in the format of the `RealWorld` API: `{"errors": {"body": [...]}}`,
/// with no challenge header.
#[derive(Debug)]
struct AppError(StatusCode, &'static str);

impl From<guarded::Error> for AppError {
    fn from(e: guarded::Error) -> Self {
        Self(e.status(), e.code())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "errors": { "body": [self.1] } });
        (self.0, axum::Json(body)).into_response()
    }
}

#[guarded(owner = "items.owner_id")]
async fn rename(
    WithRejection(mut guard, _): WithRejection<Guard<Sqlite>, AppError>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    sqlx::query("UPDATE items SET title = 'renamed' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

type Auth = WithRejection<Guard<Sqlite>, AppError>;

/// Behind an alias the macro cannot see the guard's type: the attribute names the parameter
/// and the dialect.
#[guarded(owner = "items.owner_id", guard = "auth", dialect = "sqlite")]
async fn remove(WithRejection(auth, _): Auth, Path(id): Path<i64>) -> Result<StatusCode, AppError> {
    sqlx::query("DELETE FROM items WHERE id = ?")
        .bind(id)
        .execute(&mut auth)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn call(app: &Router, method: &str, id: i64, token: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/items/{id}"));
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    assert!(
        response.headers().get(header::WWW_AUTHENTICATE).is_none(),
        "the app's format has no challenge"
    );
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn the_apps_rejection_answers_refused_tokens_and_denials() {
    let state = AppState {
        pool: common::sqlite().await,
        verifier: common::verifier(),
    };
    let app = Router::new()
        .route("/items/{id}", put(rename).delete(remove))
        .with_state(state.clone());
    let id = seed(&state.pool, "original", "alice").await;
    let errors = |code: &str| format!(r#"{{"errors":{{"body":["{code}"]}}}}"#);

    for method in ["PUT", "DELETE"] {
        assert_eq!(
            call(&app, method, id, None).await,
            (StatusCode::UNAUTHORIZED, errors("missing"))
        );
        assert_eq!(
            call(&app, method, id, Some("not.a.token")).await,
            (StatusCode::UNAUTHORIZED, errors("malformed"))
        );
        assert_eq!(
            call(&app, method, id, Some(&token("mallory"))).await,
            (StatusCode::NOT_FOUND, errors("not_found"))
        );
    }
    assert_eq!(row(&state.pool, id).await, Some(item("original", "alice")));
    let alice = token("alice");
    assert_eq!(
        call(&app, "PUT", id, Some(&alice)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(row(&state.pool, id).await, Some(item("renamed", "alice")));
    assert_eq!(
        call(&app, "DELETE", id, Some(&alice)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(row(&state.pool, id).await, None);
}
