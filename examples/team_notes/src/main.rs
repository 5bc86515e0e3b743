//! `team_notes`: the multi-tenant notes server.
//!
//! ```sh
//! cargo run -p team_notes                                  # serves on 127.0.0.1:3000 (PORT)
//! cargo run -p team_notes -- token alice acme --ttl 600    # prints a token for alice in acme
//! ```
//!
//! SQLite (`team_notes.db`) unless `DATABASE_URL` names a PostgreSQL or MySQL/MariaDB
//! database. Tokens are HS256 with `JWT_SECRET` (generated and printed when unset).

use std::error::Error;
use std::io::IsTerminal as _;

use team_notes::{AppState, MEMBERS, connect, mint, random_hex, router, verifier};

const DEFAULT_DATABASE: &str = "sqlite://team_notes.db?mode=rwc";
const USAGE: &str = "usage: team_notes [serve] | team_notes token <user> <org> [--ttl SECONDS]";

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

/// `token <user> <org> [--ttl SECONDS]`: a token the server accepts, signed with
/// `JWT_SECRET`. Any user and organisation: the server decides what the pair may see.
fn token(args: &[String]) -> Result<String, Box<dyn Error>> {
    let (user, org, ttl) = match args {
        [user, org] => (user, org, 3600),
        [user, org, flag, ttl] if flag == "--ttl" => (user, org, ttl.parse()?),
        _ => return Err(USAGE.into()),
    };
    let secret = std::env::var("JWT_SECRET")
        .map_err(|_| "set JWT_SECRET to the secret the server uses (it prints one when unset)")?;
    mint(&secret, user, org, ttl)
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
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE.to_owned());
    let pool = connect(&url).await?;
    let app = router(AppState {
        pool,
        verifier: verifier(&secret)?,
    });
    let port: u16 = std::env::var("PORT").map_or(Ok(3000), |p| p.parse())?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "team_notes on {}, listening on http://{}",
        without_credentials(&url),
        listener.local_addr()?
    );
    for (org, user, role) in MEMBERS {
        println!("  {org}: {user} ({role})");
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// `url` without its user and password, for the log.
fn without_credentials(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://{}", &url[at + 1..]),
        _ => url.to_owned(),
    }
}
