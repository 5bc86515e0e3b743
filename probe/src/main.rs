//! The `guarded-probe` command: parses its arguments, runs the probe, prints the report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use guarded_probe::routes::Route;
use guarded_probe::{CHECKS, Config, RACE_PAIRS, Routes, Tokens};

const EXAMPLE: &str = "\
Example, against the demo server of this repository:

  export JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')
  cargo run -p items_api &
  guarded-probe --base-url http://127.0.0.1:3000 \\
    --routes probe/examples/items_api.toml \\
    --secret \"$JWT_SECRET\" --issuer guarded-demo --audience items-api

The route file names the requests that create, read, update, delete and transfer an object
and log out, with placeholders {id}, {other} and {marker}; probe/examples/items_api.toml is
one, commented. Without --secret, give each user's token with --token USER=TOKEN, or have
the probe log in (--login); the checks that forge claims, log out or race a logout are then
left out.

A Token-scheme API with a login step and a published OpenAPI document (RealWorld's Conduit):

  guarded-probe --base-url http://127.0.0.1:8080 --openapi openapi.yml \\
    --owner /article/author/username --owner-value username \\
    --login 'POST /api/users/login' \\
    --login-body '{\"user\":{\"email\":\"{email}\",\"password\":\"{password}\"}}' \\
    --login-token /user/token \\
    --register 'POST /api/users' \\
    --register-body '{\"user\":{\"username\":\"{user}\",\"email\":\"{email}\",\"password\":\"{password}\"}}'

Races: each ownership race runs --race-pairs trials (90 by default). A race that one trial in
n loses is seen with probability 1 - (1 - 1/n)^trials: with 90 trials, a 5 % race with more
than 99 %, a 2 % race with 84 %, a 1 % race with 60 %; 460 trials see a 1 % race with 99 %.

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
    /// The routes from an OpenAPI 3 document (JSON or YAML) instead of a route file; its
    /// server URL's path (`/api`) goes before every path, so give --base-url without it.
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
    /// The JSON pointer to the new object's id in the create's answer (with --openapi: found
    /// from the item path's parameter, `/article/slug`, when not given).
    #[arg(long, value_name = "POINTER")]
    id: Option<String>,
    /// The user attribute the API shows as the owner (`username`, from
    /// `--user alice:username=al`; the user's name by default).
    #[arg(long, value_name = "ATTRIBUTE")]
    owner_value: Option<String>,
    /// Tokens as `Authorization: SCHEME <token>` (`Token`); by default as the API's 401
    /// (`WWW-Authenticate`) or the OpenAPI `securitySchemes` say, else `Bearer`.
    #[arg(long, value_name = "SCHEME", conflicts_with_all = ["auth_header", "auth_cookie"])]
    scheme: Option<String>,
    /// Tokens in this header: `"X-Api-Key: {token}"`.
    #[arg(long, value_name = "TEMPLATE", conflicts_with = "auth_cookie")]
    auth_header: Option<String>,
    /// Tokens in this cookie: `"jwt={token}"`.
    #[arg(long, value_name = "TEMPLATE")]
    auth_cookie: Option<String>,
    /// A claim of minted tokens, besides `sub` (the user's name): `user_id={id}`, filled with
    /// the user's attributes (`--user alice:id=7`); all digits make a number. Repeatable.
    #[arg(long = "claim", value_name = "NAME=TEMPLATE")]
    claims: Vec<String>,
    /// A file of claim templates, a JSON object (`{"user_id": "{id}"}`).
    #[arg(long, value_name = "FILE")]
    claims_file: Option<PathBuf>,
    /// Log each user in with this request (`"POST /api/users/login"`) instead of minting.
    #[arg(long, value_name = "REQUEST", requires = "login_token", conflicts_with_all = ["secret", "tokens"])]
    login: Option<String>,
    /// The login's JSON body, with the user's placeholders (`{user}`, `{email}`,
    /// `{password}`, any attribute).
    #[arg(long, value_name = "JSON", requires = "login")]
    login_body: Option<String>,
    /// The JSON pointer to the token in the login's answer.
    #[arg(long, value_name = "POINTER")]
    login_token: Option<String>,
    /// Register a user whose login fails with this request, then log in again.
    #[arg(long, value_name = "REQUEST", requires = "login")]
    register: Option<String>,
    /// The registration's JSON body, with the user's placeholders.
    #[arg(long, value_name = "JSON", requires = "register")]
    register_body: Option<String>,
    /// The ownership change the races use, for an API without a transfer route: a command
    /// as a JSON array (`["psql", "-v", "slug={id}", ...]`), run without a shell, with `{id}`
    /// and `{other}` filled (also in `GUARDED_PROBE_ID` and `GUARDED_PROBE_OTHER`). It acts past
    /// the API: point it at a test database only.
    #[arg(long, value_name = "JSON", conflicts_with = "transfer_request")]
    transfer_command: Option<String>,
    /// The ownership change as a request instead (`"POST /admin/items/{id}/owner"`).
    #[arg(long, value_name = "REQUEST")]
    transfer_request: Option<String>,
    /// The transfer request's JSON body (`{"owner": "{other}"}`).
    #[arg(long, value_name = "JSON", requires = "transfer_request")]
    transfer_body: Option<String>,
    /// The transfer request's `Authorization` header (an administrator's), instead of the
    /// owner's token; `env:NAME` reads it from the environment.
    #[arg(long, value_name = "VALUE", requires = "transfer_request")]
    transfer_authorization: Option<String>,
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
    /// The owner of the objects, then the stranger who attacks them: `NAME`, or
    /// `NAME:KEY=VALUE,...` with the attributes their claims, login and owner value use
    /// (`--user alice:org=acme --user mallory:org=evil`: a stranger of another tenant).
    #[arg(long = "user", value_name = "NAME[:KEY=VALUE,...]", num_args = 1)]
    users: Vec<String>,
    /// The checks to run (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = CHECKS.iter().map(|c| (*c).to_owned()))]
    checks: Vec<String>,
    /// Trials per ownership race: 90 see a race lost one time in twenty (5 %) with
    /// probability above 99 % (1 - 0.95^90).
    #[arg(long, default_value_t = RACE_PAIRS, value_name = "N")]
    race_pairs: usize,
    /// Race trials at once (each is two concurrent requests).
    #[arg(long, default_value_t = 8, value_name = "N")]
    concurrency: usize,
    /// The most requests the probe sends.
    #[arg(long, default_value_t = 6000, value_name = "N")]
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
    let mut routes = if openapi {
        guarded_probe::openapi::parse(&text).and_then(|doc| {
            guarded_probe::openapi::routes(
                &doc,
                args.resource.as_deref(),
                &args.owner,
                args.id.as_deref(),
            )
        })
    } else {
        Routes::parse(&text)
    }
    .map_err(|e| format!("{}: {e}", path.display()))?;
    apply(&args, &mut routes)?;
    let tokens = if routes.login.is_some() && args.secret.is_none() && args.tokens.is_empty() {
        Tokens::Login
    } else {
        tokens(&args)?
    };
    let users = match args.users.as_slice() {
        [] => match &tokens {
            Tokens::Given(given) if given.len() >= 2 => (given[0].0.clone(), given[1].0.clone()),
            Tokens::Given(_) => return Err("give two users' tokens".into()),
            Tokens::Mint { .. } | Tokens::Login => {
                ("probe-alice".to_owned(), "probe-mallory".to_owned())
            }
        },
        [owner, stranger] => (owner.clone(), stranger.clone()),
        _ => return Err("--user names the owner, then the stranger: twice, or not at all".into()),
    };
    let public_key = args
        .public_key
        .as_ref()
        .map(|path| std::fs::read(path).map_err(|e| format!("{}: {e}", path.display())))
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

/// The command line's settings over the route source's.
fn apply(args: &Args, routes: &mut Routes) -> Result<(), String> {
    if let Some(id) = &args.id {
        routes.id.clone_from(id);
    }
    let auth = &mut routes.auth;
    if args.scheme.is_some() || args.auth_header.is_some() || args.auth_cookie.is_some() {
        auth.scheme.clone_from(&args.scheme);
        auth.header.clone_from(&args.auth_header);
        auth.cookie.clone_from(&args.auth_cookie);
    }
    if args.owner_value.is_some() {
        auth.owner_value.clone_from(&args.owner_value);
    }
    if let Some(path) = &args.claims_file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let claims: std::collections::BTreeMap<String, String> = serde_json::from_str(&text)
            .map_err(|e| format!("{}: a JSON object of claim templates: {e}", path.display()))?;
        auth.claims.extend(claims);
    }
    for claim in &args.claims {
        let (name, template) = claim
            .split_once('=')
            .ok_or_else(|| format!("--claim {claim:?}: write NAME=TEMPLATE"))?;
        auth.claims.insert(name.to_owned(), template.to_owned());
    }
    let body = |text: &Option<String>, what: &str| {
        text.as_deref()
            .map(|t| serde_json::from_str(t).map_err(|e| format!("{what}: JSON: {e}")))
            .transpose()
    };
    if let Some(request) = &args.login {
        routes.login = Some(Route {
            request: request.clone(),
            body: body(&args.login_body, "--login-body")?,
            token: args.login_token.clone(),
            ..Route::default()
        });
    }
    if let Some(command) = &args.transfer_command {
        let program: Vec<String> = serde_json::from_str(command)
            .map_err(|e| format!("--transfer-command: a JSON array of strings: {e}"))?;
        routes.transfer = Some(Route {
            command: Some(program),
            ..Route::default()
        });
    }
    if let Some(request) = &args.transfer_request {
        routes.transfer = Some(Route {
            request: request.clone(),
            body: body(&args.transfer_body, "--transfer-body")?,
            authorization: args.transfer_authorization.clone(),
            ..Route::default()
        });
    }
    if let Some(request) = &args.register {
        routes.register = Some(Route {
            request: request.clone(),
            body: body(&args.register_body, "--register-body")?,
            ..Route::default()
        });
    }
    routes.check()
}

fn tokens(args: &Args) -> Result<Tokens, String> {
    Ok(match (args.secret.clone(), args.tokens.is_empty()) {
        (Some(secret), true) => Tokens::Mint {
            secret: secret.into_bytes(),
            issuer: args.issuer.clone(),
            audience: args.audience.clone(),
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
        (None, true) => {
            return Err(
                "give --secret (to mint tokens), --token USER=TOKEN, or --login (a route file's \
                 [login])"
                    .into(),
            );
        }
    })
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
