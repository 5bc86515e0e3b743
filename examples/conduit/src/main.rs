//! `conduit`: a small blogging API written with `guarded`, the way an application would be.
//!
//! ```sh
//! cargo run -p conduit        # serves on 127.0.0.1:3001 (PORT), SQLite in conduit.db
//! ```
//!
//! `DATABASE_URL` may name a PostgreSQL or MySQL/MariaDB database instead. Users sign in with
//! a name and a password and get a token, both as the `session` cookie (`HttpOnly`,
//! `SameSite=Strict`) and in the body, for clients that send `Authorization: Token <jwt>`.
//! Tokens are HS256 with `JWT_SECRET` (a fresh one per run when unset).

mod articles;
mod db;
mod error;
mod reader;
mod social;
mod users;

use std::error::Error;
use std::io::IsTerminal as _;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use guarded::Verifier;
use guarded::jwt::Key;
use sqlx::AnyPool;

use crate::db::Db;
use crate::error::AppError;

/// The router state. `Guard` takes the pool and the verifier from it; the public reads and
/// the sign-in routes take the `Db`, and sign-in the `Signer`.
#[derive(Clone, FromRef)]
pub struct AppState {
    db: Db,
    verifier: Verifier,
    signer: users::Signer,
}

impl FromRef<AppState> for AnyPool {
    fn from_ref(state: &AppState) -> Self {
        state.db.pool().clone()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // Colours for a terminal only: a log file or a pipe gets plain text.
    tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    let secret = match std::env::var("JWT_SECRET") {
        Ok(secret) => secret,
        Err(_) => db::random_hex(32)?,
    };
    let verifier = Verifier::builder()
        .key(Key::hs256(secret.as_bytes())?)
        .issuer(users::ISSUER)
        .audience(users::AUDIENCE)
        // RealWorld clients send `Authorization: Token <jwt>`; browsers send the cookie.
        .scheme("Token")
        .cookie(users::COOKIE)
        .build()?;
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://conduit.db?mode=rwc".to_owned());
    let db = Db::connect(&url).await?;
    let state = AppState {
        db,
        verifier,
        signer: users::Signer::new(secret.as_bytes()),
    };

    let port: u16 = std::env::var("PORT").map_or(Ok(3001), |p| p.parse())?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "conduit on {}, listening on http://{}",
        db::without_credentials(&url),
        listener.local_addr()?
    );
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/users", post(users::register))
        .route("/api/users/login", post(users::login))
        .route("/api/users/logout", post(users::logout))
        .route("/api/articles", get(articles::list).post(articles::create))
        .route("/api/articles/feed", get(social::feed))
        .route(
            "/api/articles/{slug}",
            get(articles::get)
                .put(articles::update)
                .delete(articles::delete),
        )
        .route(
            "/api/articles/{slug}/comments",
            get(articles::comments).post(articles::comment),
        )
        .route(
            "/api/articles/{slug}/comments/{id}",
            axum::routing::delete(articles::delete_comment),
        )
        .route(
            "/api/articles/{slug}/favorite",
            post(social::favorite).delete(social::unfavorite),
        )
        .route("/api/profiles/{username}", get(social::profile))
        .route(
            "/api/profiles/{username}/follow",
            post(social::follow).delete(social::unfollow),
        )
        .fallback(|| async { AppError::NotFound("route") })
        .with_state(state)
}
