//! Where the token comes from, through the `Guard` extractor: an app's own `Authorization`
//! scheme and a cookie, configured on the `Verifier`. Rows checked: a refused request
//! renames nothing.

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode, header};
use axum::routing::put;
use guarded::{Guard, Verifier, guarded};
use sqlx::Sqlite;
use tower::ServiceExt;

use crate::common::{self, AppState, SECRET, item, row, seed, token};

#[guarded(owner = "items.owner_id")]
async fn rename(
    mut guard: Guard<Sqlite>,
    Path(id): Path<i64>,
) -> Result<StatusCode, guarded::Error> {
    sqlx::query("UPDATE items SET title = 'renamed' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a request got: its status, its `WWW-Authenticate`, and the item's row afterwards.
struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    stored: (String, String),
}

/// `PUT /items/{id}` with these headers, answered by an app whose verifier reads `Authorization:
/// Token <jwt>` or the cookie `session`.
async fn send(headers: &[(header::HeaderName, String)]) -> Answer {
    let verifier = Verifier::builder()
        .key(guarded::Key::hs256(SECRET).expect("key"))
        .scheme("Token")
        .cookie("session")
        .build()
        .expect("verifier");
    let state = AppState {
        pool: common::sqlite().await,
        verifier,
    };
    let id = seed(&state.pool, "original", "alice").await;
    let app = Router::new()
        .route("/items/{id}", put(rename))
        .with_state(state.clone());
    let mut request = Request::builder().method("PUT").uri(format!("/items/{id}"));
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = app
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("ASCII").to_owned());
    Answer {
        status: response.status(),
        challenge,
        stored: row(&state.pool, id).await.expect("the item stays"),
    }
}

/// The status and the item's row after `send`.
async fn put_with(headers: &[(header::HeaderName, String)]) -> (StatusCode, (String, String)) {
    let answer = send(headers).await;
    (answer.status, answer.stored)
}

#[tokio::test]
async fn the_token_comes_from_the_configured_scheme_or_cookie_only() {
    let alice = token("alice");
    let forged = {
        let mut t = token("alice");
        t.push('x');
        t
    };
    let auth = |value: String| (header::AUTHORIZATION, value);
    let cookie = |value: String| (header::COOKIE, value);
    let renamed = (StatusCode::NO_CONTENT, item("renamed", "alice"));
    let untouched = |status| (status, item("original", "alice"));

    assert_eq!(put_with(&[auth(format!("Token {alice}"))]).await, renamed);
    assert_eq!(put_with(&[auth(format!("token {alice}"))]).await, renamed);
    assert_eq!(
        put_with(&[cookie(format!("theme=dark; session={alice}"))]).await,
        renamed
    );
    for (why, headers) in [
        (
            "Bearer is not this app's scheme",
            vec![auth(format!("Bearer {alice}"))],
        ),
        (
            "a forged token in the cookie",
            vec![cookie(format!("session={forged}"))],
        ),
        ("another cookie", vec![cookie(format!("token={alice}"))]),
    ] {
        assert_eq!(
            put_with(&headers).await,
            untouched(StatusCode::UNAUTHORIZED),
            "{why}"
        );
    }
    for (why, headers) in [
        (
            "a header and the cookie",
            vec![
                auth(format!("Token {alice}")),
                cookie(format!("session={alice}")),
            ],
        ),
        (
            "the cookie twice",
            vec![cookie(format!("session={alice}; session={alice}"))],
        ),
    ] {
        assert_eq!(
            put_with(&headers).await,
            untouched(StatusCode::BAD_REQUEST),
            "{why}"
        );
    }
}

#[tokio::test]
async fn the_challenge_names_the_configured_scheme_and_none_for_a_cookie() {
    let forged = format!("{}x", token("alice"));
    let auth = |value: String| (header::AUTHORIZATION, value);
    let cookie = |value: String| (header::COOKIE, value);
    let invalid = Some(r#"Token error="invalid_token""#);
    for (why, headers, status, challenge) in [
        (
            "no credentials: the scheme, no error code (RFC 6750 §3.1)",
            vec![],
            StatusCode::UNAUTHORIZED,
            Some("Token"),
        ),
        (
            "a forged token in the header",
            vec![auth(format!("Token {forged}"))],
            StatusCode::UNAUTHORIZED,
            invalid,
        ),
        (
            "another scheme",
            vec![auth(format!("Bearer {}", token("alice")))],
            StatusCode::UNAUTHORIZED,
            invalid,
        ),
        (
            "a forged token in the cookie: no challenge",
            vec![cookie(format!("session={forged}"))],
            StatusCode::UNAUTHORIZED,
            None,
        ),
        (
            "a header and the cookie: 400, no scheme's",
            vec![
                auth(format!("Token {}", token("alice"))),
                cookie(format!("session={}", token("alice"))),
            ],
            StatusCode::BAD_REQUEST,
            None,
        ),
    ] {
        let answer = send(&headers).await;
        assert_eq!(answer.status, status, "{why}");
        assert_eq!(answer.challenge.as_deref(), challenge, "{why}");
        assert_eq!(answer.stored, item("original", "alice"), "{why}");
    }
    let through = send(&[auth(format!("Token {}", token("alice")))]).await;
    assert_eq!(
        (through.status, through.challenge, through.stored),
        (StatusCode::NO_CONTENT, None, item("renamed", "alice"))
    );
}
