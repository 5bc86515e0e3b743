//! The server as a separate process, its commands, and HTTP/1.1 requests to it.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::Value;

pub const SECRET: &str = "e2e-secret-e2e-secret-e2e-secret-e2e!";
const BINARY: &str = env!("CARGO_BIN_EXE_items_api");

/// The server process; killed when the test ends, however it ends.
pub struct Server {
    child: Child,
    port: u16,
    /// Its `DATABASE_URL`, for the `role` command.
    pub url: String,
    /// What it logged after its first line.
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The server on the database `url` names, on a port it picks and reports (no other
    /// process can take the port between a pick here and its bind there).
    pub fn start(url: &str) -> Self {
        let mut child = Command::new(BINARY)
            .env("PORT", "0")
            .env("JWT_SECRET", SECRET)
            .env("DATABASE_URL", url)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start items_api");
        // "items_api on <database>, listening on http://127.0.0.1:PORT", once it is bound.
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        stdout
            .read_line(&mut line)
            .expect("read the server's first line");
        // The server logs to stdout: keep reading it, or its writes would fail on a closed
        // pipe.
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut line = String::new();
            while stdout.read_line(&mut line).is_ok_and(|n| n > 0) {
                sink.lock().expect("the log").push_str(&line);
                line.clear();
            }
        });
        let scheme = url.split("://").next().unwrap_or_default();
        assert!(
            line.starts_with(&format!("items_api on {scheme}://")),
            "the first line names the database: {line:?}"
        );
        assert!(
            !line.contains('@'),
            "the first line shows credentials: {line:?}"
        );
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("items_api did not report its address: {line:?}"));
        Self {
            child,
            port,
            url: url.to_owned(),
            log,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the server logged so far: plain text (no colour codes) when it is not a terminal.
    pub fn log(&self) -> String {
        let log = self.log.lock().expect("the log").clone();
        assert!(
            !log.contains('\u{1b}'),
            "colour codes in a piped log:\n{log}"
        );
        log
    }

    /// `items_api role <user> <role>` on this server's database.
    pub fn set_role(&self, user: &str, role: &str) {
        let out = Command::new(BINARY)
            .args(["role", user, role])
            .env("DATABASE_URL", &self.url)
            .output()
            .expect("run items_api role");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// One HTTP/1.1 request on a fresh connection.
    pub fn http(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        extra: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        let auth = token.map(|t| ("Authorization", format!("Bearer {t}")));
        let body = body.unwrap_or_default();
        let length = ("Content-Length", body.len().to_string());
        let fixed = [("Connection", "close".to_owned()), length];
        let given = extra.iter().map(|&(name, value)| (name, value.to_owned()));
        for (name, value) in given.chain(auth).chain(fixed) {
            write!(request, "{name}: {value}\r\n").expect("write to a String");
        }
        request.push_str("\r\n");
        request.push_str(body);
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.write_all(request.as_bytes()).expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("receive");
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").expect("a complete response");
        let (status_line, headers) = head.split_once("\r\n").unwrap_or((head, ""));
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status code");
        Response {
            status,
            headers: headers.to_owned(),
            body: body.to_owned(),
        }
    }

    /// A request as `token`, with a JSON content type when there is a body.
    pub fn call(&self, method: &str, path: &str, token: &str, body: Option<&str>) -> Response {
        let extra: &[(&str, &str)] = if body.is_some() { &[JSON] } else { &[] };
        self.http(method, path, Some(token), extra, body)
    }
}

pub const JSON: (&str, &str) = ("Content-Type", "application/json");

pub struct Response {
    pub status: u16,
    headers: String,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// A success with this status; its JSON body, if any.
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        if self.body.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }

    /// Every error of the API is problem+json with a short code.
    pub fn problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(self.json()["code"], code, "{}", self.body);
    }
}

/// A token from the server's own `token` command.
pub fn token_for(user: &str) -> String {
    let out = Command::new(BINARY)
        .args(["token", user, "--ttl", "600"])
        .env("JWT_SECRET", SECRET)
        .output()
        .expect("run items_api token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

/// A token signed by us with the demo's claims, `exp` and key chosen by the test.
pub fn crafted(user: &str, exp_offset: i64, secret: &str) -> String {
    let now = i64::try_from(jsonwebtoken::get_current_timestamp()).expect("time fits i64");
    let claims = serde_json::json!({
        "sub": user, "iss": "guarded-demo", "aud": "items-api",
        "iat": now - 600, "nbf": now - 600, "exp": now + exp_offset, "jti": "e2e",
    });
    guarded_testkit::tokens::sign(secret.as_bytes(), &claims)
}
