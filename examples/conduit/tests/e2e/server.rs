//! The server process, a signed-in user's credentials, and requests to the API.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, AssertSqlSafe, FromRow};

const BINARY: &str = env!("CARGO_BIN_EXE_conduit");
/// The server's `JWT_SECRET`: the tests sign an expired token with it.
pub const SECRET: &str = "conduit-e2e-secret-conduit-e2e-secret!";

/// The server process; killed when the test ends, however it ends.
pub struct Server {
    child: Child,
    base: String,
    /// Its `DATABASE_URL`.
    pub url: String,
    agent: ureq::Agent,
    /// What the server logged, shown when a test fails.
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("the server's log:\n{}", self.log.lock().expect("the log"));
        }
    }
}

/// How a request proves who sends it.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    /// `Authorization: Token <jwt>`, as `RealWorld` clients send it.
    Token(&'a User),
    /// The `session` cookie, as a browser sends it.
    Cookie(&'a User),
    /// Both at once: which one would count is a guess, so neither does.
    Both(&'a User),
    /// A token of our own making, as `Authorization: Token <jwt>`.
    Raw(&'a str),
    /// A whole `Authorization` header value of our own making (another scheme).
    Header(&'a str),
    /// A `session` cookie of our own making.
    RawCookie(&'a str),
}

/// A signed-up user: the token from the body and the one from the `session` cookie.
pub struct User {
    pub name: String,
    pub token: String,
    pub cookie: String,
}

/// An answer: its status, the headers the tests look at, and its JSON body (`Null` if none).
pub struct Reply {
    pub status: u16,
    pub set_cookie: Option<String>,
    pub challenge: Option<String>,
    pub json: Value,
}

impl Reply {
    /// A success with this status; its body.
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "{}", self.json);
        &self.json
    }

    /// An error with this status, in the app's own format: `{"errors": {field: [..]}}`.
    pub fn error(&self, status: u16, field: &str) {
        assert_eq!(self.status, status, "{}", self.json);
        assert!(
            self.json["errors"][field].is_array(),
            "want errors.{field}: {}",
            self.json
        );
    }
}

impl Server {
    /// The server on the database `url` names, on a port it picks and reports.
    pub fn start(url: &str) -> Self {
        let mut child = Command::new(BINARY)
            .env("PORT", "0")
            .env("JWT_SECRET", SECRET)
            .env("DATABASE_URL", url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start conduit");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the first line");
        // Keep reading the log, or the server's writes would fail on a closed pipe.
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
        for mut pipe in [
            Box::new(stdout) as Box<dyn BufRead + Send>,
            Box::new(stderr),
        ] {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut line = String::new();
                while pipe.read_line(&mut line).is_ok_and(|n| n > 0) {
                    log.lock().expect("the log").push_str(&line);
                    line.clear();
                }
            });
        }
        assert!(line.starts_with("conduit on "), "{line:?}");
        assert!(
            !line.contains('@'),
            "the first line shows credentials: {line:?}"
        );
        let base = line.trim().rsplit_once("listening on ").map_or_else(
            || panic!("no address in {line:?}"),
            |(_, base)| base.to_owned(),
        );
        // A fresh connection per request: a server closes a connection whose request body it
        // refused before reading, and a pooled client would retry on a closed one.
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_idle_connections(0)
            .build()
            .into();
        Self {
            child,
            base,
            url: url.to_owned(),
            agent,
            log,
        }
    }

    /// `method path` with `auth` and a JSON body.
    pub fn call(&self, method: &str, path: &str, auth: Auth<'_>, body: Option<Value>) -> Reply {
        let url = format!("{}{path}", self.base);
        let mut request = http_request(method, &url);
        let (token, cookie) = match auth {
            Auth::None | Auth::Header(_) => (None, None),
            Auth::Token(user) => (Some(user.token.as_str()), None),
            Auth::Cookie(user) => (None, Some(user.cookie.as_str())),
            Auth::Both(user) => (Some(user.token.as_str()), Some(user.cookie.as_str())),
            Auth::Raw(token) => (Some(token), None),
            Auth::RawCookie(cookie) => (None, Some(cookie)),
        };
        if let Auth::Header(value) = auth {
            request = request.header("Authorization", value);
        }
        if let Some(token) = token {
            request = request.header("Authorization", format!("Token {token}"));
        }
        if let Some(cookie) = cookie {
            request = request.header("Cookie", format!("session={cookie}"));
        }
        let response = match body {
            Some(body) => {
                let body = serde_json::to_vec(&body).expect("JSON");
                request = request.header("Content-Type", "application/json");
                self.agent.run(request.body(body).expect("a request"))
            }
            None => self.agent.run(request.body(()).expect("a request")),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().expect("ASCII").to_owned())
        };
        let (set_cookie, challenge) = (header("set-cookie"), header("www-authenticate"));
        let text = response.body_mut().read_to_string().expect("a body");
        Reply {
            status: response.status().as_u16(),
            set_cookie,
            challenge,
            json: if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
            },
        }
    }

    /// Signs `name` up with a password of `name`'s own; its token and its cookie.
    pub fn sign_up(&self, name: &str) -> User {
        let body = json!({"user": {"username": name, "password": format!("{name}-password")}});
        let reply = self.call("POST", "/api/users", Auth::None, Some(body));
        let token = reply.ok(201)["user"]["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let set_cookie = reply.set_cookie.expect("a session cookie");
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/api"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        let cookie = set_cookie
            .strip_prefix("session=")
            .and_then(|rest| rest.split(';').next())
            .expect("session=<jwt>")
            .to_owned();
        User {
            name: name.to_owned(),
            token,
            cookie,
        }
    }

    /// How many rows `sql` (a `SELECT COUNT(*) ...`) counts, read past the server.
    pub fn count(&self, sql: &str) -> i64 {
        let rows: Vec<(i64,)> = read(&self.url, sql);
        rows[0].0
    }
}

/// The rows `sql` reads from the database at `url`, through a pool of the test's own (no
/// guard, no server).
pub fn read<T>(url: &str, sql: &str) -> Vec<T>
where
    T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    guarded_testkit::block_on(async {
        let pool = AnyPool::connect(url).await.expect("connect");
        let rows = sqlx::query_as(AssertSqlSafe(sql.to_owned()))
            .fetch_all(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        pool.close().await;
        rows
    })
}

fn http_request(method: &str, url: &str) -> ureq::http::request::Builder {
    ureq::http::Request::builder().method(method).uri(url)
}
