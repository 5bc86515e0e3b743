//! Requests to the API under test, and nothing else: every URL is the base URL plus a path
//! from the route file, redirects are never followed, and the number of requests and the
//! time they may take are capped.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::Value;
use ureq::http;

use crate::ProbeError;

/// The most of a response body the probe reads.
const BODY_LIMIT: u64 = 1 << 20;

/// What a request got.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// `"PUT /items/7"`.
    pub request: String,
    /// 0 when the connection ended without an answer.
    pub status: u16,
    pub body: String,
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
        match self.json()?.pointer(pointer)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The start of the body, for a finding's evidence.
    pub fn excerpt(&self) -> String {
        let mut excerpt: String = self.body.chars().take(200).collect();
        if excerpt.len() < self.body.len() {
            excerpt.push('…');
        }
        format!("{} {}", self.status, excerpt)
    }
}

/// Where a request's credentials go.
#[derive(Debug, Clone)]
pub enum Credentials {
    None,
    Bearer(String),
    /// `?access_token=` and no header.
    Query(String),
    /// Two `Authorization` headers.
    TwoHeaders(String, String),
}

/// The bounded client.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    sent: AtomicUsize,
    max_requests: usize,
    deadline: Instant,
}

impl Client {
    /// A client of `base` (`http://host:port`, or with a path prefix).
    pub fn new(base: &str, max_requests: usize, time: Duration) -> Result<Self, ProbeError> {
        let base = base.trim_end_matches('/');
        let rest = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"))
            .ok_or_else(|| ProbeError::Config(format!("{base:?} is not an http(s):// URL")))?;
        if rest.is_empty() || rest.contains(['?', '#']) || rest.starts_with('/') {
            return Err(ProbeError::Config(format!(
                "{base:?}: give the API's base URL, with a host and no query"
            )));
        }
        let agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(15)))
            .user_agent("guarded-probe")
            // A connection per request: a server that closes one after a refusal (as some do
            // before reading a refused body) must not make the next request fail.
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .build()
            .into();
        Ok(Self {
            agent,
            base: base.to_owned(),
            sent: AtomicUsize::new(0),
            max_requests,
            deadline: Instant::now() + time,
        })
    }

    /// Requests sent so far.
    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    fn admit(&self) -> Result<(), ProbeError> {
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
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.exchange(method, path, credentials, body.is_some(), &mut &bytes[..])
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
        let bytes = body.to_string().into_bytes();
        let mut held = Held {
            bytes,
            at: 0,
            gate: Some(gate),
        };
        self.exchange(method, path, credentials, true, &mut held)
    }

    fn exchange(
        &self,
        method: &str,
        path: &str,
        credentials: &Credentials,
        json: bool,
        body: &mut dyn Read,
    ) -> Result<Exchange, ProbeError> {
        self.admit()?;
        let path = match credentials {
            Credentials::Query(token) => format!("{path}?access_token={token}"),
            _ => path.to_owned(),
        };
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        match credentials {
            Credentials::Bearer(token) => {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            Credentials::TwoHeaders(a, b) => {
                request = request
                    .header("authorization", format!("Bearer {a}"))
                    .header("authorization", format!("Bearer {b}"));
            }
            Credentials::None | Credentials::Query(_) => {}
        }
        if json {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(ureq::SendBody::from_reader(body))
            .map_err(|e| ProbeError::Config(format!("{method} {path}: {e}")))?;
        let line = format!("{method} {path}");
        let mut response = match self.agent.run(request) {
            Ok(response) => response,
            // A server may answer a refused request before its body is sent and close the
            // connection: the write then fails. What it did is judged by what it shows
            // afterwards, as for any refusal.
            Err(e) => {
                return Ok(Exchange {
                    request: line,
                    status: 0,
                    body: format!("no answer: {e}"),
                });
            }
        };
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .lossy_utf8(true)
            .read_to_string()
            .unwrap_or_default();
        Ok(Exchange {
            request: line,
            status,
            body,
        })
    }
}

/// A body that gives its first byte, then waits for its gate before the rest.
struct Held {
    bytes: Vec<u8>,
    at: usize,
    gate: Option<Receiver<()>>,
}

impl Read for Held {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at >= self.bytes.len() || buf.is_empty() {
            return Ok(0);
        }
        if self.at > 0
            && let Some(gate) = self.gate.take()
        {
            // A closed gate (the probe gave up) sends the rest too.
            let _ = gate.recv();
        }
        let n = if self.at == 0 {
            1
        } else {
            buf.len().min(self.bytes.len() - self.at)
        };
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
