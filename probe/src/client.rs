//! Requests to the API under test, and nothing else: every URL is the base URL plus a path
//! from the route file, redirects are never followed, and the number of requests and the
//! time they may take are capped.
//!
//! Over `http://` the probe speaks HTTP/1.1 on its own socket: every body goes with a
//! `Content-Length` (a server that reads only that header gets the whole body), and an answer
//! the server sends before it has read the body (an early 401 or 413, then a closed
//! connection) is read even when sending the rest of the body fails.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use ureq::http;

use crate::ProbeError;

/// The most of a response body the probe reads.
const BODY_LIMIT: usize = 1 << 20;
/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(15);
/// How much of a body an excerpt shows.
const EXCERPT: usize = 300;

/// What a request got.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Exchange {
    /// `"PUT /items/7"`.
    pub request: String,
    /// 0 when the connection ended without an answer.
    pub status: u16,
    pub body: String,
    /// The `WWW-Authenticate` header of the answer, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub www_authenticate: Option<String>,
}

impl Exchange {
    pub fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The value at `pointer` in the JSON body, as text (a number's digits, a string's
    /// content).
    pub fn text_at(&self, pointer: &str) -> Option<String> {
        text(self.json()?.pointer(pointer)?)
    }

    /// The start of the body, for a finding's evidence.
    pub fn excerpt(&self) -> String {
        let mut excerpt: String = self.body.chars().take(EXCERPT).collect();
        if excerpt.len() < self.body.len() {
            excerpt.push('…');
        }
        format!("{} {}", self.status, excerpt)
    }
}

/// A JSON value as text: a string's content, a number's digits.
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Where a request's credentials go.
#[derive(Debug, Clone)]
pub enum Credentials {
    None,
    /// The token where the API takes it ([`AuthStyle`]).
    Token(String),
    /// `?access_token=` and no header.
    Query(String),
    /// The header twice, the first then the second token.
    TwoHeaders(String, String),
    /// This `Authorization` header, whatever the API's way with tokens.
    Authorization(String),
}

/// How a token is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStyle {
    /// A header (`authorization`), its value a template holding `{token}`.
    Header { name: String, value: String },
    /// A cookie, `name={token}`.
    Cookie(String),
}

impl Default for AuthStyle {
    fn default() -> Self {
        Self::scheme("Bearer")
    }
}

impl std::fmt::Display for AuthStyle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Header { name, value } => write!(f, "{name}: {value}"),
            Self::Cookie(template) => write!(f, "cookie: {template}"),
        }
    }
}

impl AuthStyle {
    /// `Authorization: <scheme> <token>`.
    pub fn scheme(scheme: &str) -> Self {
        Self::Header {
            name: "authorization".to_owned(),
            value: format!("{scheme} {{token}}"),
        }
    }

    fn header(&self, token: &str) -> (String, String) {
        match self {
            Self::Header { name, value } => (name.clone(), value.replace("{token}", token)),
            Self::Cookie(template) => ("cookie".to_owned(), template.replace("{token}", token)),
        }
    }
}

/// The bounded client.
pub struct Client {
    agent: ureq::Agent,
    /// `http(s)://host:port`.
    origin: String,
    /// `host:port` when plain HTTP, which the probe's own HTTP/1.1 serves.
    plain: Option<String>,
    /// The base URL's path (`/api`), before every request's.
    prefix: String,
    auth: RwLock<AuthStyle>,
    sent: AtomicUsize,
    max_requests: usize,
    deadline: Instant,
    /// Set for the clean-up, which deletes what the probe created past the bounds.
    unbounded: AtomicBool,
}

impl Client {
    /// A client of `base` (`http://host:port`, or with a path prefix).
    pub fn new(base: &str, max_requests: usize, time: Duration) -> Result<Self, ProbeError> {
        let base = base.trim_end_matches('/');
        let (tls, rest) = match (base.strip_prefix("http://"), base.strip_prefix("https://")) {
            (Some(rest), _) => (false, rest),
            (_, Some(rest)) => (true, rest),
            _ => {
                return Err(ProbeError::Config(format!(
                    "{base:?} is not an http(s):// URL"
                )));
            }
        };
        if rest.is_empty() || rest.contains(['?', '#', '@']) || rest.starts_with('/') {
            return Err(ProbeError::Config(format!(
                "{base:?}: give the API's base URL, with a host and no query"
            )));
        }
        let (host, prefix) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .user_agent("guarded-probe")
            // A connection per request: a server that closes one after a refusal (as some do
            // before reading a refused body) must not make the next request fail.
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .build()
            .into();
        let plain = (!tls).then(|| {
            if host.contains(':') && !host.ends_with(']') {
                host.to_owned()
            } else {
                format!("{host}:80")
            }
        });
        Ok(Self {
            agent,
            origin: format!("{}://{host}", if tls { "https" } else { "http" }),
            plain,
            prefix: prefix.to_owned(),
            auth: RwLock::new(AuthStyle::default()),
            sent: AtomicUsize::new(0),
            max_requests,
            deadline: Instant::now() + time,
            unbounded: AtomicBool::new(false),
        })
    }

    /// Sends tokens as `style` from now on.
    pub fn set_auth(&self, style: AuthStyle) {
        *self.auth.write().expect("auth") = style;
    }

    pub fn auth(&self) -> AuthStyle {
        self.auth.read().expect("auth").clone()
    }

    /// Requests sent so far.
    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    /// Lets requests past the request and time limits: the clean-up's, at most two per
    /// object the probe created, so a run stopped by a limit still deletes them.
    pub fn lift_bounds(&self) {
        self.unbounded.store(true, Ordering::Relaxed);
    }

    fn admit(&self) -> Result<(), ProbeError> {
        if self.unbounded.load(Ordering::Relaxed) {
            self.sent.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        if Instant::now() > self.deadline {
            return Err(ProbeError::Bound(
                "the time limit (--time) is reached".into(),
            ));
        }
        if self.sent.fetch_add(1, Ordering::Relaxed) >= self.max_requests {
            return Err(ProbeError::Bound(format!(
                "the request limit (--max-requests {}) is reached",
                self.max_requests
            )));
        }
        Ok(())
    }

    /// One request.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        credentials: &Credentials,
        body: Option<&Value>,
    ) -> Result<Exchange, ProbeError> {
        self.exchange(method, path, credentials, body, None)
    }

    /// A request whose body is held after its first byte until `gate` opens: the server has
    /// read the headers (and checked the token, if it does so first) and waits for the rest.
    pub fn send_held(
        &self,
        method: &str,
        path: &str,
        credentials: &Credentials,
        body: &Value,
        gate: Receiver<()>,
    ) -> Result<Exchange, ProbeError> {
        self.exchange(method, path, credentials, Some(body), Some(gate))
    }

    fn exchange(
        &self,
        method: &str,
        path: &str,
        credentials: &Credentials,
        body: Option<&Value>,
        gate: Option<Receiver<()>>,
    ) -> Result<Exchange, ProbeError> {
        self.admit()?;
        let path = match credentials {
            Credentials::Query(token) => {
                let join = if path.contains('?') { '&' } else { '?' };
                format!("{path}{join}access_token={token}")
            }
            _ => path.to_owned(),
        };
        let style = self.auth();
        let mut headers = Vec::new();
        match credentials {
            Credentials::Token(token) => headers.push(style.header(token)),
            Credentials::TwoHeaders(a, b) => {
                headers.push(style.header(a));
                headers.push(style.header(b));
            }
            Credentials::Authorization(value) => {
                headers.push(("authorization".to_owned(), value.clone()));
            }
            Credentials::None | Credentials::Query(_) => {}
        }
        if body.is_some() {
            headers.push(("content-type".to_owned(), "application/json".to_owned()));
        }
        let bytes = body.map(|b| b.to_string().into_bytes());
        let target = format!("{}{path}", self.prefix);
        let line = format!("{method} {target}");
        let answer = match &self.plain {
            Some(host) => plain(host, method, &target, &headers, bytes.as_deref(), gate),
            None => self.tls(method, &target, &headers, bytes.as_deref()),
        };
        Ok(match answer {
            Ok((status, www_authenticate, body)) => Exchange {
                request: line,
                status,
                body,
                www_authenticate,
            },
            // No answer at all: what the server did is judged by what it shows afterwards,
            // as for any refusal.
            Err(e) => Exchange {
                request: line,
                status: 0,
                body: format!("no answer: {e}"),
                www_authenticate: None,
            },
        })
    }

    fn tls(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Result<Answer, String> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{target}", self.origin));
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request
            .body(body.unwrap_or_default().to_vec())
            .map_err(|e| e.to_string())?;
        let mut response = self.agent.run(request).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let www = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT as u64)
            .lossy_utf8(true)
            .read_to_string()
            .unwrap_or_default();
        Ok((status, www, body))
    }
}

/// Status, `WWW-Authenticate`, body.
type Answer = (u16, Option<String>, String);

/// One HTTP/1.1 request on its own connection. A failed write does not end it: the server
/// may have answered before reading the body, and its answer is read.
fn plain(
    host: &str,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    gate: Option<Receiver<()>>,
) -> Result<Answer, String> {
    let addr = host
        .to_socket_addrs()
        .map_err(|e| format!("{host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}: no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nhost: {host}\r\nuser-agent: guarded-probe\r\n\
         connection: close\r\naccept: application/json\r\n"
    );
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let body = body.unwrap_or_default();
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        let _ = write!(head, "content-length: {}\r\n", body.len());
    }
    head.push_str("\r\n");
    let written = write_request(&mut stream, head.as_bytes(), body, gate);
    let (raw, read) = read_answer(&mut stream, method);
    match parse(&raw) {
        Some(answer) => Ok(answer),
        None => Err(match (written, read) {
            (Err(e), _) => format!("sending: {e}"),
            (_, Err(e)) => format!("reading: {e}"),
            _ => "the connection closed without an answer".to_owned(),
        }),
    }
}

/// The answer's bytes, up to its end (its `Content-Length`, its last chunk, or the closed
/// connection), so a server that keeps the connection open does not hold the probe; and the
/// read's error, if it ended in one.
fn read_answer(stream: &mut TcpStream, method: &str) -> (Vec<u8>, std::io::Result<()>) {
    let mut raw = Vec::new();
    let mut buf = [0; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (raw, Ok(())),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return (raw, Err(e)),
        }
        if raw.len() > BODY_LIMIT + 64 * 1024 || complete(&raw, method) {
            return (raw, Ok(()));
        }
    }
}

/// Whether `raw` holds a whole answer.
fn complete(raw: &[u8], method: &str) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let status = head.get(9..12).unwrap_or_default();
    if method == "HEAD" || status.starts_with('1') || matches!(status, "204" | "304") {
        return true;
    }
    let body = &raw[end + 4..];
    let header = |name: &str| {
        head.split("\r\n")
            .find_map(|line| line.strip_prefix(name).map(|v| v.trim().to_owned()))
    };
    if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
        return body.ends_with(b"0\r\n\r\n");
    }
    header("content-length:")
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|length| body.len() >= length)
}

fn write_request(
    stream: &mut TcpStream,
    head: &[u8],
    body: &[u8],
    gate: Option<Receiver<()>>,
) -> std::io::Result<()> {
    match gate {
        Some(gate) if !body.is_empty() => {
            stream.write_all(head)?;
            stream.write_all(&body[..1])?;
            stream.flush()?;
            // A closed gate (the probe gave up) sends the rest too.
            let _ = gate.recv();
            stream.write_all(&body[1..])?;
        }
        _ => {
            let mut all = head.to_vec();
            all.extend_from_slice(body);
            stream.write_all(&all)?;
        }
    }
    stream.flush()
}

/// An HTTP/1.1 answer: its status, `WWW-Authenticate` and body (whole, chunked or up to
/// its `Content-Length`).
fn parse(raw: &[u8]) -> Option<Answer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()?
        .strip_prefix("HTTP/1.")?
        .get(2..5)?
        .parse()
        .ok()?;
    let mut www = None;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "www-authenticate" => www = Some(value.to_owned()),
            "content-length" => length = value.parse::<usize>().ok(),
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            _ => {}
        }
    }
    let rest = &raw[end + 4..];
    let body = if chunked {
        dechunk(rest)
    } else {
        rest[..length.unwrap_or(rest.len()).min(rest.len())].to_vec()
    };
    Some((status, www, String::from_utf8_lossy(&body).into_owned()))
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..eol]);
        let size = size.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size, 16) else {
            break;
        };
        rest = &rest[eol + 2..];
        if size == 0 {
            break;
        }
        out.extend_from_slice(&rest[..size.min(rest.len())]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;

    use super::*;

    /// A server that reads one request's head and answers `answer` at once, closing the
    /// connection without reading the body; returns what the head said.
    fn early(answer: &'static str) -> (String, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                head.push_str(&line);
            }
            reader.get_mut().write_all(answer.as_bytes()).unwrap();
            head
        });
        (format!("http://{addr}/api"), server)
    }

    #[test]
    fn an_early_refusal_is_read_though_the_body_is_not() {
        let (base, server) = early(
            "HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Token\r\ncontent-length: 4\r\n\
             connection: close\r\n\r\nnope",
        );
        let client = Client::new(&base, 10, Duration::from_mins(1)).unwrap();
        client.set_auth(AuthStyle::scheme("Token"));
        let big = serde_json::json!({ "pad": "x".repeat(8 << 20) });
        let answer = client
            .send(
                "PUT",
                "/things/1",
                &Credentials::Token("t".into()),
                Some(&big),
            )
            .unwrap();
        assert_eq!(answer.status, 401, "{answer:?}");
        assert_eq!(answer.body, "nope");
        assert_eq!(answer.www_authenticate.as_deref(), Some("Token"));
        assert_eq!(answer.request, "PUT /api/things/1");
        let head = server.join().unwrap();
        assert!(head.contains("authorization: Token t\r\n"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", big.to_string().len())),
            "{head}"
        );
    }

    #[test]
    fn a_token_goes_in_the_cookie_or_header_the_api_takes() {
        for (style, sent) in [
            (
                AuthStyle::Cookie("jwt={token}".into()),
                "cookie: jwt=t1\r\n",
            ),
            (
                AuthStyle::Header {
                    name: "x-api-key".into(),
                    value: "{token}".into(),
                },
                "x-api-key: t1\r\n",
            ),
        ] {
            let (base, server) = early("HTTP/1.1 204 No Content\r\n\r\n");
            let client = Client::new(&base, 10, Duration::from_mins(1)).unwrap();
            client.set_auth(style);
            let answer = client
                .send("GET", "/x", &Credentials::Token("t1".into()), None)
                .unwrap();
            assert_eq!(answer.status, 204);
            let head = server.join().unwrap();
            assert!(head.contains(sent), "{head}");
            assert!(!head.contains("authorization"), "{head}");
        }
    }

    #[test]
    fn an_answer_ends_at_its_length_though_the_connection_stays_open() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = [0; 1024];
            let _ = stream.read(&mut buf).unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .unwrap();
            // Open until the client has its answer.
            let _ = wait.recv();
        });
        let client = Client::new(&format!("http://{addr}"), 10, Duration::from_mins(1)).unwrap();
        let answer = client.send("GET", "/x", &Credentials::None, None).unwrap();
        assert_eq!((answer.status, answer.body.as_str()), (200, "ok"));
        done.send(()).unwrap();
        server.join().unwrap();
    }

    #[test]
    fn a_chunked_answer_is_read_whole() {
        let (base, server) = early(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\n{\"a\r\n5\r\n\":1}\n\r\n0\r\n\r\n",
        );
        let client = Client::new(&base, 10, Duration::from_mins(1)).unwrap();
        let answer = client.send("GET", "/x", &Credentials::None, None).unwrap();
        assert_eq!(answer.text_at("/a").as_deref(), Some("1"), "{answer:?}");
        server.join().unwrap();
    }
}
