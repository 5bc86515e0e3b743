//! A Conduit-shaped API (the `RealWorld` project's): `Authorization: Token <jwt>` whose
//! `user_id` claim is a UUID, articles by slug in `{"article": {...}}` envelopes, the author shown by username,
//! public reads, no transfer route, request bodies read by `Content-Length` only. An admin
//! port the spec does not name changes an article's author, as an operator's SQL would.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::token;
use tokio::sync::Mutex;

pub const SECRET: &str = "conduit-secret-conduit-secret-conduit!";

/// The flaws to plant; `Flaws::default()` has none.
#[derive(Debug, Clone, Copy, Default)]
#[expect(clippy::struct_excessive_bools, reason = "one switch per flaw")]
pub struct Flaws {
    /// Anyone signed in updates and deletes any article.
    pub no_author_check: bool,
    /// `article.author.username` of an update's or a create's body sets the author.
    pub author_from_body: bool,
    /// An update checks the author, waits, then writes by slug.
    pub check_then_act: bool,
    /// An update answers 200 and changes nothing.
    pub updates_ignored: bool,
}

struct Article {
    slug: String,
    title: String,
    description: String,
    body: String,
    author: String,
}

impl Article {
    fn json(&self) -> Value {
        json!({ "article": {
            "slug": self.slug, "title": self.title, "description": self.description,
            "body": self.body, "author": { "username": self.author, "bio": null },
        } })
    }
}

struct User {
    id: String,
    username: String,
    email: String,
    password: String,
}

pub struct App {
    flaws: Flaws,
    articles: Mutex<HashMap<String, Article>>,
    users: Mutex<Vec<User>>,
    next: AtomicU64,
}

type Shared = Arc<App>;

impl App {
    /// Articles stored now.
    pub async fn articles(&self) -> usize {
        self.articles.lock().await.len()
    }
}

fn token_for(user_id: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    guarded_testkit::tokens::sign(
        SECRET.as_bytes(),
        &json!({ "user_id": user_id, "exp": now + 600 }),
    )
}

fn unauthorized() -> Response {
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
    response
}

/// The caller's username, from `Authorization: Token <jwt>` (the first header) and the
/// token's `user_id`.
struct Caller(String);

impl FromRequestParts<Shared> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Response> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| token::credential(h, "Token"))
            .ok_or_else(unauthorized)?;
        let claims = token::decode(token, SECRET, |_| {}).ok_or_else(unauthorized)?;
        let id = claims["user_id"].as_str().ok_or_else(unauthorized)?;
        let users = app.users.lock().await;
        let user = users.iter().find(|u| u.id == id).ok_or_else(unauthorized)?;
        Ok(Self(user.username.clone()))
    }
}

/// A body without `Content-Length` reads as empty, as in servers that do not take chunks.
async fn content_length_only(mut request: Request, next: Next) -> Response {
    if !request.headers().contains_key(header::CONTENT_LENGTH) {
        *request.body_mut() = Body::empty();
    }
    next.run(request).await
}

fn text(body: &Value, pointer: &str) -> Option<String> {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

async fn register(State(app): State<Shared>, Json(body): Json<Value>) -> Response {
    let (Some(username), Some(email), Some(password)) = (
        text(&body, "/user/username"),
        text(&body, "/user/email"),
        text(&body, "/user/password"),
    ) else {
        return StatusCode::UNPROCESSABLE_ENTITY.into_response();
    };
    let mut users = app.users.lock().await;
    if users
        .iter()
        .any(|u| u.username == username || u.email == email)
    {
        return StatusCode::UNPROCESSABLE_ENTITY.into_response();
    }
    let n = app.next.fetch_add(1, Ordering::Relaxed);
    let id = format!("00000000-0000-4000-8000-{n:012}");
    let token = token_for(&id);
    users.push(User {
        id,
        username: username.clone(),
        email,
        password,
    });
    (
        StatusCode::CREATED,
        Json(json!({ "user": { "username": username, "token": token } })),
    )
        .into_response()
}

async fn login(State(app): State<Shared>, Json(body): Json<Value>) -> Response {
    let users = app.users.lock().await;
    let found = users.iter().find(|u| {
        Some(&u.email) == text(&body, "/user/email").as_ref()
            && Some(&u.password) == text(&body, "/user/password").as_ref()
    });
    match found {
        Some(user) => Json(json!({ "user": {
            "username": user.username, "token": token_for(&user.id),
        } }))
        .into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn create(State(app): State<Shared>, caller: Caller, Json(body): Json<Value>) -> Response {
    let Some(title) = text(&body, "/article/title") else {
        return StatusCode::UNPROCESSABLE_ENTITY.into_response();
    };
    let author = text(&body, "/article/author/username")
        .filter(|_| app.flaws.author_from_body)
        .unwrap_or(caller.0);
    let n = app.next.fetch_add(1, Ordering::Relaxed);
    let slug = format!("{}-{n}", title.to_lowercase().replace(' ', "-"));
    let article = Article {
        slug: slug.clone(),
        title,
        description: text(&body, "/article/description").unwrap_or_default(),
        body: text(&body, "/article/body").unwrap_or_default(),
        author,
    };
    let answer = article.json();
    app.articles.lock().await.insert(slug, article);
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// Public: no token needed.
async fn read(State(app): State<Shared>, Path(slug): Path<String>) -> Response {
    match app.articles.lock().await.get(&slug) {
        Some(article) => Json(article.json()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn update(
    State(app): State<Shared>,
    caller: Caller,
    Path(slug): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let flaws = app.flaws;
    let mut articles = app.articles.lock().await;
    let Some(article) = articles.get(&slug) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !flaws.no_author_check && article.author != caller.0 {
        return StatusCode::FORBIDDEN.into_response();
    }
    // The answer shows the author the check saw, as an app that answers with the row it
    // fetched for the check: the race cannot be seen in it.
    let checked = article.author.clone();
    // The window: with the flaw, the lock is let go between the check and the write; without
    // it, the check and the write are one critical section that the admin port waits for.
    if flaws.check_then_act {
        drop(articles);
        tokio::time::sleep(Duration::from_millis(100)).await;
        articles = app.articles.lock().await;
    } else {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let Some(article) = articles.get_mut(&slug) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !flaws.updates_ignored {
        for (field, slot) in [
            ("/article/title", &mut article.title),
            ("/article/description", &mut article.description),
            ("/article/body", &mut article.body),
        ] {
            if let Some(value) = text(&body, field) {
                *slot = value;
            }
        }
        if let Some(author) =
            text(&body, "/article/author/username").filter(|_| flaws.author_from_body)
        {
            article.author = author;
        }
    }
    let mut answer = article.json();
    if !flaws.author_from_body {
        answer["article"]["author"]["username"] = json!(checked);
    }
    Json(answer).into_response()
}

async fn delete(State(app): State<Shared>, caller: Caller, Path(slug): Path<String>) -> Response {
    let mut articles = app.articles.lock().await;
    match articles.get(&slug) {
        Some(a) if app.flaws.no_author_check || a.author == caller.0 => {
            articles.remove(&slug);
            StatusCode::OK.into_response()
        }
        Some(_) => StatusCode::FORBIDDEN.into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The administrators' header, on a route the spec does not name.
pub const ADMIN: &str = "Admin conduit-admin";

/// An administrator gives article `slug` to `{"username": ...}`.
async fn reassign(
    State(app): State<Shared>,
    headers: axum::http::HeaderMap,
    Path(slug): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        != Some(ADMIN)
    {
        return unauthorized();
    }
    let Some(username) = text(&body, "/username") else {
        return StatusCode::UNPROCESSABLE_ENTITY.into_response();
    };
    give(State(app), Path((slug, username)))
        .await
        .into_response()
}

/// The admin port's one request: article `slug` now belongs to `username`.
async fn give(
    State(app): State<Shared>,
    Path((slug, username)): Path<(String, String)>,
) -> StatusCode {
    match app.articles.lock().await.get_mut(&slug) {
        Some(article) => {
            article.author = username;
            StatusCode::OK
        }
        None => StatusCode::NOT_FOUND,
    }
}

/// The running server: the API's address, the admin port's, and its state.
pub struct Server {
    pub api: SocketAddr,
    pub admin: SocketAddr,
    pub app: Shared,
}

/// Serves the API with `flaws` and `users` (id, username) already registered, on free ports
/// of 127.0.0.1.
pub async fn start(flaws: Flaws, users: &[(&str, &str)]) -> Server {
    let app = Arc::new(App {
        flaws,
        articles: Mutex::new(HashMap::new()),
        users: Mutex::new(
            users
                .iter()
                .map(|(id, username)| User {
                    id: (*id).to_owned(),
                    username: (*username).to_owned(),
                    email: format!("{username}@seeded.example"),
                    password: "seeded".to_owned(),
                })
                .collect(),
        ),
        next: AtomicU64::new(1),
    });
    let api = Router::new()
        .route("/api/users", post(register))
        .route("/api/users/login", post(login))
        .route("/api/articles", post(create))
        .route("/api/articles/{slug}", get(read).put(update).delete(delete))
        .route("/api/admin/articles/{slug}/author", post(reassign))
        .layer(middleware::from_fn(content_length_only))
        .with_state(app.clone());
    let admin = Router::new()
        .route("/owner/{slug}/{username}", post(give))
        .with_state(app.clone());
    let serve = |router: Router| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("its address");
        tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        addr
    };
    Server {
        api: serve(api).await,
        admin: serve(admin).await,
        app,
    }
}
