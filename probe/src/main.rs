//! The `guarded-probe` command: parses its arguments, runs the probe, prints the report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use guarded_probe::{CHECKS, Config, Routes, Tokens};

const EXAMPLE: &str = "\
Example, against the demo server of this repository:

  export JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')
  cargo run -p items_api &
  guarded-probe --base-url http://127.0.0.1:3000 \\
    --routes probe/examples/items_api.toml \\
    --secret \"$JWT_SECRET\" --issuer guarded-demo --audience items-api

The route file names the requests that create, read, update, delete and transfer an object
and log out, with placeholders {id}, {other} and {marker}; probe/examples/items_api.toml is
one, commented. Without --secret, give each user's token with --token USER=TOKEN (the checks
that forge claims, log out or race a logout are then left out).

Exit status: 0 when nothing was found, 1 when something was, 2 when the probe could not run.";

/// Attacks a running HTTP API from outside: broken object-level authorization, token
/// weaknesses, revocation, mass assignment and check-then-act races.
///
/// The first user creates objects; the second attacks them. Every refusal is checked through
/// the owner's own read: refused, and nothing changed.
#[derive(Parser)]
#[command(name = "guarded-probe", version, after_help = EXAMPLE)]
struct Args {
    /// The API's base URL; no request goes anywhere else, and redirects are not followed.
    #[arg(long, value_name = "URL")]
    base_url: String,
    /// The route file (TOML).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "openapi",
        conflicts_with = "openapi"
    )]
    routes: Option<PathBuf>,
    /// The routes from an OpenAPI 3 document (JSON) instead of a route file.
    #[arg(long, value_name = "FILE")]
    openapi: Option<PathBuf>,
    /// With --openapi: the collection path to probe (the first with a POST and an item path
    /// when not given).
    #[arg(long, value_name = "PATH", requires = "openapi")]
    resource: Option<String>,
    /// With --openapi: the JSON pointer to the owner in the object a read returns.
    #[arg(
        long,
        value_name = "POINTER",
        default_value = "/owner",
        requires = "openapi"
    )]
    owner: String,
    /// The HS256 secret the API verifies tokens with: the probe mints its own.
    #[arg(
        long,
        value_name = "SECRET",
        env = "GUARDED_PROBE_SECRET",
        hide_env_values = true
    )]
    secret: Option<String>,
    /// The `iss` of minted tokens.
    #[arg(long)]
    issuer: Option<String>,
    /// The `aud` of minted tokens.
    #[arg(long)]
    audience: Option<String>,
    /// Lifetime of minted tokens, in seconds.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    ttl: u64,
    /// The API's public key (PEM file), when its tokens are RS or ES: a token signed HS256
    /// with it must be refused (algorithm confusion).
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
    /// A user's token instead of minting (USER=TOKEN), once per user.
    #[arg(long = "token", value_name = "USER=TOKEN")]
    tokens: Vec<String>,
    /// The owner of the objects, then the stranger who attacks them.
    #[arg(long = "user", value_name = "NAME", num_args = 1)]
    users: Vec<String>,
    /// The checks to run (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = CHECKS.iter().map(|c| (*c).to_owned()))]
    checks: Vec<String>,
    /// Trials per ownership race.
    #[arg(long, default_value_t = 20, value_name = "N")]
    race_pairs: usize,
    /// Race trials at once (each is two concurrent requests).
    #[arg(long, default_value_t = 8, value_name = "N")]
    concurrency: usize,
    /// The most requests the probe sends.
    #[arg(long, default_value_t = 2000, value_name = "N")]
    max_requests: usize,
    /// The most time the probe takes, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    time: u64,
    /// Writes every finding, with its evidence, to FILE as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

fn config(args: Args) -> Result<(Config, Option<PathBuf>), String> {
    let (path, openapi) = match (&args.routes, &args.openapi) {
        (Some(path), _) => (path, false),
        (None, Some(path)) => (path, true),
        (None, None) => return Err("give --routes FILE or --openapi FILE".into()),
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let routes = if openapi {
        serde_json::from_str(&text)
            .map_err(|e| format!("an OpenAPI document in JSON: {e}"))
            .and_then(|doc| {
                guarded_probe::openapi::routes(&doc, args.resource.as_deref(), &args.owner)
            })
    } else {
        Routes::parse(&text)
    }
    .map_err(|e| format!("{}: {e}", path.display()))?;
    let tokens = match (args.secret, args.tokens.is_empty()) {
        (Some(secret), true) => Tokens::Mint {
            secret: secret.into_bytes(),
            issuer: args.issuer,
            audience: args.audience,
            ttl: args.ttl,
        },
        (None, false) => Tokens::Given(
            args.tokens
                .iter()
                .map(|t| {
                    t.split_once('=')
                        .map(|(u, t)| (u.to_owned(), t.to_owned()))
                        .ok_or_else(|| format!("--token {t:?}: write USER=TOKEN"))
                })
                .collect::<Result<_, _>>()?,
        ),
        (Some(_), false) => return Err("give --secret or --token, not both".into()),
        (None, true) => return Err("give --secret (to mint tokens) or --token USER=TOKEN".into()),
    };
    let users = match args.users.as_slice() {
        [] => match &tokens {
            Tokens::Given(given) if given.len() >= 2 => (given[0].0.clone(), given[1].0.clone()),
            Tokens::Given(_) => return Err("give two users' tokens".into()),
            Tokens::Mint { .. } => ("probe-alice".to_owned(), "probe-mallory".to_owned()),
        },
        [owner, stranger] => (owner.clone(), stranger.clone()),
        _ => return Err("--user names the owner, then the stranger: twice, or not at all".into()),
    };
    let public_key = args
        .public_key
        .map(|path| std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display())))
        .transpose()?;
    let config = Config {
        base_url: args.base_url,
        public_key,
        routes,
        tokens,
        users,
        checks: args.checks,
        race_pairs: args.race_pairs,
        concurrency: args.concurrency,
        max_requests: args.max_requests,
        time: Duration::from_secs(args.time),
    };
    Ok((config, args.json))
}

fn main() -> ExitCode {
    let (config, json) = match config(Args::parse()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("guarded-probe: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match guarded_probe::run(&config, &|line| eprintln!("{line}")) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("guarded-probe: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", report.render());
    if let Some(path) = json {
        let written = serde_json::to_string_pretty(&report)
            .map_err(|e| e.to_string())
            .and_then(|text| std::fs::write(&path, text).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("guarded-probe: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
