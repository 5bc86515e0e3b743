//! The app on a test database, and HTTP requests sent through its router.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request};
use http_body_util::BodyExt as _;
use serde_json::Value;
use sqlx::AnyPool;
use tower::ServiceExt as _;

const SECRET: &str = "e2e-secret-e2e-secret-e2e-secret-e2e!";

/// The router the server serves, on the database of a test, and a pool on that database for
/// reading rows past it.
pub struct App {
    router: Router,
    /// The app's pool, for the test's own plain statements.
    pub pool: AnyPool,
}

impl App {
    /// The app on the database `url` names: tables created, the seeded members added.
    pub async fn start(url: &str) -> Self {
        let pool = team_notes::connect(url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let verifier = team_notes::verifier(SECRET).expect("a verifier");
        let router = team_notes::router(team_notes::AppState {
            pool: pool.clone(),
            verifier,
        });
        Self { router, pool }
    }

    /// One request: `token` as its bearer, `headers`, and `body` as JSON when given.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Body::from(body.unwrap_or_default().to_owned()))
            .expect("a request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("the body")
            .to_bytes();
        Response {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A request as `token`, with a JSON body when given.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&str>,
    ) -> Response {
        self.send(method, path, Some(token), &[], body).await
    }

    /// Creates a note titled `title` as `token`; its id.
    pub async fn create(&self, token: &str, title: &str) -> i64 {
        let body = format!(r#"{{"title":"{title}"}}"#);
        let created = self.call("POST", "/notes", token, Some(&body)).await;
        let note = created.ok(201);
        let id = note["id"].as_i64().expect("an id");
        assert_eq!(
            created.header("location"),
            Some(format!("/notes/{id}").as_str())
        );
        id
    }
}

/// A token for `user` in `org`, as the server's `token` command makes it.
pub fn token(user: &str, org: &str) -> String {
    team_notes::mint(SECRET, user, org, 600).expect("a token")
}

/// A token signed with the app's secret and exactly `claims`.
pub fn crafted(claims: &Value) -> String {
    guarded_testkit::tokens::sign(SECRET.as_bytes(), claims)
}

/// The `jti` of one of [`token`]'s tokens.
pub fn jti(token: &str) -> String {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[team_notes::AUDIENCE]);
    validation.set_issuer(&[team_notes::ISSUER]);
    let data = jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()),
        &validation,
    )
    .expect("one of our tokens");
    data.claims["jti"].as_str().expect("a jti").to_owned()
}

pub struct Response {
    pub status: u16,
    headers: HeaderMap,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
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
