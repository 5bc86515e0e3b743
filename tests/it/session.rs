//! The principal from a server-side session (`tower-sessions`) instead of a bearer token: the
//! app implements `Authenticate` on a type of its own and names it in the guard's type. Rows
//! checked: without the session of the item's owner, nothing is renamed.

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{Request, StatusCode, header};
use axum::routing::{post, put};
use guarded::jwt::TokenCode;
use guarded::{Authenticate, Error, Guard, GuardClaims, TokenError, guarded};
use serde::Deserialize;
use sqlx::Sqlite;
use tower::ServiceExt;
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

use crate::common::{self, AppState, item, row, seed};

/// Who the session says is signed in: what `sign_in` stored after checking a password.
#[derive(Debug, Deserialize)]
struct User {
    id: String,
}

impl GuardClaims for User {
    type Subject = String;
    fn subject(&self) -> &String {
        &self.id
    }
}

/// The session layer vouches for the user: the session id is an unguessable cookie, and the
/// store holds only what `sign_in` wrote.
struct FromSession;

impl<S: Send + Sync> Authenticate<S, User> for FromSession {
    async fn authenticate(parts: &mut Parts, state: &S) -> Result<User, Error> {
        let missing = || Error::Unauthorized(TokenError::new(TokenCode::Missing));
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| missing())?;
        let id: Option<String> = session.get("user").await.map_err(|_| missing())?;
        id.map(|id| User { id }).ok_or_else(missing)
    }
}

#[guarded(owner = "items.owner_id")]
async fn rename(
    mut guard: Guard<Sqlite, User, FromSession>,
    Path(id): Path<i64>,
) -> Result<StatusCode, Error> {
    sqlx::query("UPDATE items SET title = 'renamed' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stands for a real sign-in (a password checked): stores the user in the session.
async fn sign_in(session: Session, Path(user): Path<String>) -> StatusCode {
    session.insert("user", user).await.expect("stored");
    StatusCode::NO_CONTENT
}

async fn sign_out(session: Session) -> StatusCode {
    session.flush().await.expect("flushed");
    StatusCode::NO_CONTENT
}

async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
) -> (StatusCode, Option<String>) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    if response.status() == StatusCode::UNAUTHORIZED {
        assert!(
            response.headers().get(header::WWW_AUTHENTICATE).is_none(),
            "a session has no scheme to challenge with"
        );
    }
    let set_cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    (response.status(), set_cookie)
}

#[tokio::test]
async fn a_session_names_the_principal_and_its_absence_renames_nothing() {
    let state = AppState {
        pool: common::sqlite().await,
        verifier: common::verifier(),
    };
    let app = Router::new()
        .route("/items/{id}", put(rename))
        .route("/sign-in/{user}", post(sign_in))
        .route("/sign-out", post(sign_out))
        .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false))
        .with_state(state.clone());
    let id = seed(&state.pool, "original", "alice").await;
    let path = format!("/items/{id}");
    let original = Some(item("original", "alice"));

    assert_eq!(
        send(&app, "PUT", &path, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let forged = "id=AAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(
        send(&app, "PUT", &path, Some(forged)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, mallory) = send(&app, "POST", "/sign-in/mallory", None).await;
    let mallory = mallory.expect("a session cookie");
    assert_eq!(
        send(&app, "PUT", &path, Some(&mallory)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(row(&state.pool, id).await, original);

    let (_, alice) = send(&app, "POST", "/sign-in/alice", None).await;
    let alice = alice.expect("a session cookie");
    assert_eq!(
        send(&app, "POST", "/sign-out", Some(&alice)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(&app, "PUT", &path, Some(&alice)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(row(&state.pool, id).await, original);

    let (_, alice) = send(&app, "POST", "/sign-in/alice", None).await;
    let alice = alice.expect("a session cookie");
    assert_eq!(
        send(&app, "PUT", &path, Some(&alice)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(row(&state.pool, id).await, Some(item("renamed", "alice")));
}
