//! Optional sign-in, `Option<Guard<..>>`: no credentials is an anonymous request, served
//! without a principal; credentials that were sent are verified, and a bad one is a 401 that
//! touches no row, never an anonymous request. Rows checked on every backend.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode, header};
use axum::routing::put;
use guarded::{Guard, guarded};
use tower::ServiceExt;

use crate::common::{AppState, Backend, item, row, seed, token, verifier, with_any};

#[guarded(owner = "items.owner_id")]
async fn rename(mut guard: Guard<sqlx::Any>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = 'renamed' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Renames the item for a signed-in caller; an anonymous one only learns how many items exist
/// (a read that needs no principal, on the pool).
async fn touch(
    guard: Option<Guard<sqlx::Any>>,
    State(state): State<AppState<sqlx::Any>>,
    Path(id): Path<i64>,
) -> Result<String, guarded::Error> {
    if let Some(guard) = guard {
        rename(guard, id).await?;
        return Ok("renamed".into());
    }
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM items")
        .fetch_one(&state.pool)
        .await
        .map_err(guarded::Error::from)?;
    Ok(format!("{n} items"))
}

async fn optional_sign_in<DB: Backend>() {
    let Some((pool, any)) = with_any::<DB>().await else {
        return;
    };
    let id = seed(&pool, "original", "alice").await;
    let app = Router::new()
        .route("/items/{id}", put(touch))
        .with_state(AppState {
            pool: any,
            verifier: verifier(),
        });
    let send = |auth: Option<String>| {
        let app = app.clone();
        async move {
            let mut request = Request::builder().method("PUT").uri(format!("/items/{id}"));
            if let Some(auth) = auth {
                request = request.header(header::AUTHORIZATION, auth);
            }
            let response = app
                .oneshot(request.body(Body::empty()).expect("request"))
                .await
                .expect("infallible");
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .expect("a body");
            (status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    let original = item("original", "alice");

    // No credentials: anonymous, and nothing renamed.
    assert_eq!(send(None).await, (StatusCode::OK, "1 items".into()));
    assert_eq!(row(&pool, id).await, Some(original.clone()));
    // Credentials sent and bad: 401 whatever the handler would do without them.
    let forged = format!("Bearer {}x", token("alice"));
    for bad in [
        forged,
        "Bearer".into(),
        "Basic YWxpY2U6cHc=".into(),
        String::new(),
    ] {
        let (status, _) = send(Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad:?}");
        assert_eq!(row(&pool, id).await, Some(original.clone()), "{bad:?}");
    }
    // A stranger signed in is guarded as any caller: not theirs, 404, nothing renamed.
    let (status, _) = send(Some(format!("Bearer {}", token("mallory")))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(row(&pool, id).await, Some(original));
    // The owner signed in renames it.
    let (status, body) = send(Some(format!("Bearer {}", token("alice")))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "renamed"));
    assert_eq!(row(&pool, id).await, Some(item("renamed", "alice")));
}

#[tokio::test]
async fn optional_sign_in_on_sqlite() {
    optional_sign_in::<sqlx::Sqlite>().await;
}

#[tokio::test]
async fn optional_sign_in_on_postgres() {
    optional_sign_in::<sqlx::Postgres>().await;
}

#[tokio::test]
async fn optional_sign_in_on_mysql() {
    optional_sign_in::<sqlx::MySql>().await;
}
