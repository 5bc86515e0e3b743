//! `items_api`: the guarded demo server.
//!
//! ```sh
//! cargo run --example items_api                          # serves on 127.0.0.1:3000 (PORT)
//! cargo run --example items_api -- token alice --ttl 600 # prints a token for alice
//! ```
//!
//! SQLite (`items_api.db`) unless `DATABASE_URL` names a PostgreSQL or MySQL/MariaDB database.
//! Tokens are HS256 with `JWT_SECRET` (generated and printed when unset), issuer
//! `guarded-demo`, audience `items-api`, and a `jti`.

mod api;
mod http;
mod schema;

use std::error::Error;
use std::fmt::Write as _;
use std::time::Duration;

use axum::extract::FromRef;
use guarded::Verifier;
use guarded::jwt::Key;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

const ISSUER: &str = "guarded-demo";
const AUDIENCE: &str = "items-api";
const DEFAULT_DATABASE: &str = "sqlite://items_api.db?mode=rwc";

/// The router state: the pool and the token verifier, each handed to the `Guard` extractor.
#[derive(Clone, FromRef)]
pub struct AppState {
    pool: AnyPool,
    verifier: Verifier,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => serve().await,
        Some("token") => {
            println!("{}", token(&args[1..])?);
            Ok(())
        }
        Some(_) => Err(USAGE.into()),
    }
}

const USAGE: &str = "usage: items_api [serve] | items_api token <user> [--ttl SECONDS]";

/// `token <user> [--ttl SECONDS]`: a token the server accepts, signed with `JWT_SECRET`.
fn token(args: &[String]) -> Result<String, Box<dyn Error>> {
    let (user, ttl) = match args {
        [user] => (user, 3600),
        [user, flag, ttl] if flag == "--ttl" => (user, ttl.parse()?),
        _ => return Err(USAGE.into()),
    };
    let secret = std::env::var("JWT_SECRET")
        .map_err(|_| "set JWT_SECRET to the secret the server uses (it prints one when unset)")?;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "sub": user,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": random_hex(16)?,
    });
    Ok(jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )?)
}

fn random_hex(bytes: usize) -> Result<String, Box<dyn Error>> {
    let mut buf = vec![0; bytes];
    getrandom::fill(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
    Ok(buf.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}

async fn serve() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt().with_target(false).init();
    let secret = if let Ok(secret) = std::env::var("JWT_SECRET") {
        secret
    } else {
        let secret = random_hex(32)?;
        eprintln!("JWT_SECRET is unset; this run uses a fresh one. For the token command:");
        eprintln!("  export JWT_SECRET={secret}");
        secret
    };
    let verifier = Verifier::builder()
        .key(Key::hs256(secret.as_bytes())?)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()?;
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE.to_owned());
    let app = router(&url, verifier).await?;

    let port: u16 = std::env::var("PORT").map_or(Ok(3000), |p| p.parse())?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("items_api listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// Connects to the database `url` names, creates the table, and builds the routes.
async fn router(url: &str, verifier: Verifier) -> Result<axum::Router, Box<dyn Error>> {
    sqlx::any::install_default_drivers();
    let scheme = url.split(':').next().unwrap_or_default().to_owned();
    let sqlite = scheme == "sqlite";
    let pool = AnyPoolOptions::new()
        .after_connect(move |conn, _| {
            Box::pin(async move {
                // Readers do not wait on the writer (sqlx's SQLite busy timeout is 5 s).
                if sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                }
                Ok(())
            })
        })
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await?;
    schema::create(&pool, &scheme).await?;
    Ok(api::router(AppState { pool, verifier }))
}
