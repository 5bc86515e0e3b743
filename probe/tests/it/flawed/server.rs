//! An items API with flaws to plant, one switch each: the probe must find every planted flaw,
//! and nothing on the server with none.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::token;

pub const SECRET: &str = "flawed-secret-flawed-secret-flawed!";
pub const ISSUER: &str = "flawed";
pub const AUDIENCE: &str = "flawed-api";

/// When a logged-out token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Revocation {
    /// When the request arrives, and again in the write itself.
    #[default]
    InWrite,
    /// When the request arrives only: a request in flight writes after the logout.
    AtStart,
    /// Never: the logout answers 204 and changes nothing.
    Never,
}

/// The flaws to plant; `Flaws::default()` has none.
#[derive(Debug, Clone, Copy, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one switch per flaw, set one at a time"
)]
pub struct Flaws {
    /// Tokens decoded without checking their signature, times, issuer or audience; a token
    /// in the query string taken too.
    pub lax_tokens: bool,
    /// Any user reads and writes any item (no owner check at all).
    pub no_owner_check: bool,
    /// The owner of a created or updated item taken from the body.
    pub owner_from_body: bool,
    /// Writes check the owner, wait, then write by id.
    pub check_then_act: bool,
    /// Any signed-in user reads any item, whatever their tenant (`org`); without the flaw,
    /// users of the item's tenant may read it.
    pub cross_tenant_reads: bool,
    pub revocation: Revocation,
}

#[derive(Debug, Clone)]
struct Item {
    id: u64,
    title: String,
    owner: String,
    /// The creator's tenant (`org` claim), if any.
    org: Option<String>,
}

impl Item {
    fn json(&self) -> Value {
        json!({ "id": self.id, "title": self.title, "owner": self.owner })
    }
}

struct App {
    flaws: Flaws,
    items: Mutex<HashMap<u64, Item>>,
    next: AtomicU64,
    revoked: Mutex<HashSet<String>>,
}

type Shared = Arc<App>;

/// The caller, from the token, checked before the body is read.
struct Caller {
    sub: String,
    jti: String,
    org: Option<String>,
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, StatusCode> {
        let headers: Vec<_> = parts
            .headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .collect();
        let query = parts.uri.query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("access_token="))
                .map(str::to_owned)
        });
        let caller = if app.flaws.lax_tokens {
            // The last header wins, where a proxy in front checks the first.
            let token = headers
                .last()
                .and_then(|h| token::credential(h, "Bearer"))
                .map(str::to_owned)
                .or(query)
                .ok_or(StatusCode::UNAUTHORIZED)?;
            lax(&token).ok_or(StatusCode::UNAUTHORIZED)?
        } else {
            if headers.len() > 1 || query.is_some() {
                return Err(StatusCode::BAD_REQUEST);
            }
            let token = headers
                .first()
                .and_then(|h| token::credential(h, "Bearer"))
                .ok_or(StatusCode::UNAUTHORIZED)?;
            strict(token).ok_or(StatusCode::UNAUTHORIZED)?
        };
        if app.flaws.revocation != Revocation::Never && app.revoked(&caller.jti) {
            return Err(StatusCode::UNAUTHORIZED);
        }
        Ok(caller)
    }
}

/// The claims, whatever the signature and times say.
fn lax(token: &str) -> Option<Caller> {
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    Some(Caller {
        sub: claims["sub"].as_str().unwrap_or("anonymous").to_owned(),
        jti: claims["jti"].as_str().unwrap_or_default().to_owned(),
        org: claims["org"].as_str().map(str::to_owned),
    })
}

/// HS256 only, every time claim checked, issuer and audience required.
fn strict(token: &str) -> Option<Caller> {
    let claims = token::decode(token, SECRET, |validation| {
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        // `nbf` optional, checked when present, as most verifiers do.
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
    })?;
    // jsonwebtoken takes an `iss` array that holds the issuer; a string is the claim's type.
    if !claims["iss"].is_string() {
        return None;
    }
    Some(Caller {
        sub: claims["sub"].as_str()?.to_owned(),
        jti: claims["jti"].as_str()?.to_owned(),
        org: claims["org"].as_str().map(str::to_owned),
    })
}

impl App {
    fn revoked(&self, jti: &str) -> bool {
        self.revoked.lock().expect("revoked").contains(jti)
    }

    /// Whether `caller` may read `item` as one of its tenant.
    fn same_tenant(&self, item: &Item, caller: &Caller) -> bool {
        item.org.is_some() && (self.flaws.cross_tenant_reads || item.org == caller.org)
    }

    fn mine(&self, item: &Item, caller: &Caller) -> bool {
        self.flaws.no_owner_check || item.owner == caller.sub
    }

    /// Decides whether `caller` may write item `id`, then applies `change`: in one critical
    /// section, or (`check_then_act`) with a pause between the check and the write.
    async fn write(
        &self,
        caller: &Caller,
        id: u64,
        change: impl FnOnce(&mut HashMap<u64, Item>),
    ) -> Result<Option<Item>, StatusCode> {
        if self.flaws.check_then_act {
            {
                let items = self.items.lock().expect("items");
                let item = items.get(&id).ok_or(StatusCode::NOT_FOUND)?;
                if !self.mine(item, caller) {
                    return Err(StatusCode::NOT_FOUND);
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
            let mut items = self.items.lock().expect("items");
            // The token's validity is still decided by the write: the flaw is the owner's.
            if self.flaws.revocation == Revocation::InWrite && self.revoked(&caller.jti) {
                return Err(StatusCode::UNAUTHORIZED);
            }
            change(&mut items);
            return Ok(items.get(&id).cloned());
        }
        let mut items = self.items.lock().expect("items");
        if self.flaws.revocation == Revocation::InWrite && self.revoked(&caller.jti) {
            return Err(StatusCode::UNAUTHORIZED);
        }
        let item = items.get(&id).ok_or(StatusCode::NOT_FOUND)?;
        if !self.mine(item, caller) {
            return Err(StatusCode::NOT_FOUND);
        }
        change(&mut items);
        Ok(items.get(&id).cloned())
    }
}

#[derive(Deserialize)]
struct Body {
    title: Option<String>,
    owner: Option<String>,
    to: Option<String>,
}

fn answer(item: Option<Item>) -> Response {
    match item {
        Some(item) => Json(item.json()).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn create(State(app): State<Shared>, caller: Caller, Json(body): Json<Body>) -> Response {
    let owner = match body.owner {
        Some(owner) if app.flaws.owner_from_body => owner,
        _ => caller.sub,
    };
    let id = app.next.fetch_add(1, Ordering::Relaxed);
    let item = Item {
        id,
        title: body.title.unwrap_or_default(),
        owner,
        org: caller.org.clone(),
    };
    app.items.lock().expect("items").insert(id, item.clone());
    (StatusCode::CREATED, Json(item.json())).into_response()
}

async fn read(State(app): State<Shared>, caller: Caller, Path(id): Path<u64>) -> Response {
    let items = app.items.lock().expect("items");
    match items.get(&id) {
        Some(item) if app.mine(item, &caller) || app.same_tenant(item, &caller) => {
            Json(item.json()).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn update(
    State(app): State<Shared>,
    caller: Caller,
    Path(id): Path<u64>,
    Json(body): Json<Body>,
) -> Result<Response, StatusCode> {
    let from_body = app.flaws.owner_from_body;
    let item = app
        .write(&caller, id, |items| {
            if let Some(item) = items.get_mut(&id) {
                if let Some(title) = body.title {
                    item.title = title;
                }
                if let Some(owner) = body.owner.filter(|_| from_body) {
                    item.owner = owner;
                }
            }
        })
        .await?;
    Ok(answer(item))
}

async fn delete(
    State(app): State<Shared>,
    caller: Caller,
    Path(id): Path<u64>,
) -> Result<Response, StatusCode> {
    app.write(&caller, id, |items| {
        items.remove(&id);
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn transfer(
    State(app): State<Shared>,
    caller: Caller,
    Path(id): Path<u64>,
    Json(body): Json<Body>,
) -> Result<Response, StatusCode> {
    let to = body.to.ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
    let item = app
        .write(&caller, id, |items| {
            if let Some(item) = items.get_mut(&id) {
                item.owner = to;
            }
        })
        .await?;
    Ok(answer(item))
}

async fn logout(State(app): State<Shared>, caller: Caller) -> StatusCode {
    if app.flaws.revocation != Revocation::Never {
        app.revoked.lock().expect("revoked").insert(caller.jti);
    }
    StatusCode::NO_CONTENT
}

/// Serves the API with `flaws` on a free port of 127.0.0.1.
pub async fn start(flaws: Flaws) -> SocketAddr {
    let app = Arc::new(App {
        flaws,
        items: Mutex::new(HashMap::new()),
        next: AtomicU64::new(1),
        revoked: Mutex::new(HashSet::new()),
    });
    let router = Router::new()
        .route("/items", post(create))
        .route("/items/{id}", get(read).put(update).delete(delete))
        .route("/items/{id}/transfer", post(transfer))
        .route("/auth/logout", post(logout))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    addr
}
