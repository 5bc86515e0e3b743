//! `items_api`: the guarded demo server.
//!
//! ```sh
//! cargo run -p items_api                           # serves on 127.0.0.1:3000 (PORT)
//! cargo run -p items_api -- token alice --ttl 600  # prints a token for alice
//! cargo run -p items_api -- role alice admin       # alice may delete any item from now on
//! ```
//!
//! SQLite (`items_api.db`) unless `DATABASE_URL` names a PostgreSQL or MySQL/MariaDB database,
//! or DynamoDB (`dynamodb://127.0.0.1:4566`, built with `--features dynamodb`; region and
//! credentials from `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, a local
//! server's test values when unset).
//! Tokens are HS256 with `JWT_SECRET` (generated and printed when unset), issuer
//! `guarded-demo`, audience `items-api`, and a `jti`.

mod api;
mod schema;

use std::error::Error;
use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::time::Duration;

use axum::extract::FromRef;
use guarded::Verifier;
use guarded::jwt::Key;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, AssertSqlSafe, Executor};

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
        Some("role") => role(&args[1..]).await,
        Some(_) => Err(USAGE.into()),
    }
}

const USAGE: &str = "usage: items_api [serve] | items_api token <user> [--ttl SECONDS] | \
                     items_api role <user> admin|user";

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

/// `role <user> admin|user`: sets the user's role in the server's database. Every statement
/// that starts afterwards decides with it, whatever tokens the user holds.
async fn role(args: &[String]) -> Result<(), Box<dyn Error>> {
    let [user, role] = args else {
        return Err(USAGE.into());
    };
    if role != "admin" && role != "user" {
        return Err(USAGE.into());
    }
    let url = database_url();
    if url.starts_with("dynamodb") {
        dynamodb_role(&url, user, role).await?;
        println!("{user} is now {role}");
        return Ok(());
    }
    let pool = connect(&url).await?;
    let update = numbered(&url, "UPDATE users SET role = ? WHERE id = ?");
    let updated = sqlx::query(AssertSqlSafe(update))
        .bind(role)
        .bind(user)
        .execute(&pool)
        .await?;
    if updated.rows_affected() == 0 {
        let insert = numbered(&url, "INSERT INTO users (id, role) VALUES (?, ?)");
        sqlx::query(AssertSqlSafe(insert))
            .bind(user)
            .bind(role)
            .execute(&pool)
            .await?;
    }
    println!("{user} is now {role}");
    Ok(())
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
    // Colours for a terminal only: a log file or a pipe gets plain text.
    tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
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
    let url = database_url();
    let app = if url.starts_with("dynamodb") {
        dynamodb(&url, verifier).await?
    } else {
        let pool = connect(&url).await?;
        api::router(AppState { pool, verifier })
    };

    let port: u16 = std::env::var("PORT").map_or(Ok(3000), |p| p.parse())?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "items_api on {}, listening on http://{}",
        without_credentials(&url),
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// The routes on the DynamoDB server `url` names, its table created when missing.
#[cfg(feature = "dynamodb")]
async fn dynamodb(url: &str, verifier: Verifier) -> Result<axum::Router, Box<dyn Error>> {
    let endpoint = items_api_dynamodb::endpoint(url)
        .ok_or("a DynamoDB DATABASE_URL is dynamodb://HOST:PORT or dynamodbs://HOST")?;
    let client = items_api_dynamodb::client(&endpoint);
    items_api_dynamodb::create_tables(&client).await?;
    Ok(items_api_dynamodb::router(client, verifier))
}

#[cfg(feature = "dynamodb")]
async fn dynamodb_role(url: &str, user: &str, role: &str) -> Result<(), Box<dyn Error>> {
    let endpoint = items_api_dynamodb::endpoint(url)
        .ok_or("a DynamoDB DATABASE_URL is dynamodb://HOST:PORT or dynamodbs://HOST")?;
    let client = items_api_dynamodb::client(&endpoint);
    items_api_dynamodb::create_tables(&client).await?;
    Ok(items_api_dynamodb::set_role(&client, user, role).await?)
}

#[cfg(not(feature = "dynamodb"))]
#[expect(
    clippy::unused_async,
    reason = "the signature of the feature's fn, awaited alike"
)]
async fn dynamodb_role(_: &str, _: &str, _: &str) -> Result<(), Box<dyn Error>> {
    Err(NO_DYNAMODB.into())
}

#[cfg(not(feature = "dynamodb"))]
const NO_DYNAMODB: &str = "this build has no DynamoDB: cargo run -p items_api --features dynamodb";

#[cfg(not(feature = "dynamodb"))]
#[expect(
    clippy::unused_async,
    reason = "the signature of the feature's fn, awaited alike"
)]
async fn dynamodb(_: &str, _: Verifier) -> Result<axum::Router, Box<dyn Error>> {
    Err(NO_DYNAMODB.into())
}

fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE.to_owned())
}

/// `url` without its user and password, for the log.
fn without_credentials(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://{}", &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// `sql` with PostgreSQL's `$1, $2, ...` for its `?` when `url` is PostgreSQL's: the few
/// statements outside a guarded fn, which `#[guarded]` writes for each backend.
fn numbered(url: &str, sql: &str) -> String {
    if !url.starts_with("postgres") {
        return sql.to_owned();
    }
    let mut n = 0;
    sql.chars().fold(String::new(), |mut out, c| {
        if c == '?' {
            n += 1;
            let _ = write!(out, "${n}");
        } else {
            out.push(c);
        }
        out
    })
}

/// Connects to the database `url` names, creates the tables, and forgets revocations of
/// tokens that have expired (an expired token is refused anyway).
async fn connect(url: &str) -> Result<AnyPool, Box<dyn Error>> {
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
    let now = i64::try_from(jsonwebtoken::get_current_timestamp())?;
    let purge = numbered(url, "DELETE FROM revoked_tokens WHERE expires_at < ?");
    sqlx::query(AssertSqlSafe(purge))
        .bind(now)
        .execute(&pool)
        .await?;
    Ok(pool)
}
