//! Keys from a JWK set URL (feature `jwks-url`), against an in-process key server on
//! 127.0.0.1 that counts the fetches it answers: rotation, a flood of unknown `kid`s, the server
//! down, a set that turns invalid, `Cache-Control`, discovery, and the HTTPS-only rule.
//!
//! Waits are `sleep`s past `min_refresh_interval` (1 s here), which only ever make a refresh
//! allowed; no assertion depends on how fast anything ran.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use guarded::jwt::{Claims, JwksUrl, RemoteKeys, TokenCode};
use guarded::{TokenError, Verifier};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::common::now;

const RSA_PRIVATE: &str = include_str!("../keys/rsa_private.pem");
const EC_PRIVATE: &str = include_str!("../keys/ec_private.pem");
const INTERVAL: Duration = Duration::from_secs(1);

/// The key server: the body and `Cache-Control` it serves, and how many sets it served.
struct KeyServer {
    set: Mutex<(String, &'static str)>,
    /// The discovery document's `id_token_signing_alg_values_supported`, when it has one.
    algs: Mutex<Option<Value>>,
    fetches: AtomicUsize,
    base: String,
    task: tokio::task::JoinHandle<()>,
}

impl KeyServer {
    async fn start(set: Value, cache_control: &'static str) -> Arc<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let shared = Arc::new(Mutex::new(None::<Arc<Self>>));
        let app = Router::new()
            .route("/jwks.json", get(serve_set))
            .route("/.well-known/openid-configuration", get(serve_discovery))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        let server = Arc::new(Self {
            set: Mutex::new((set.to_string(), cache_control)),
            algs: Mutex::new(None),
            fetches: AtomicUsize::new(0),
            base,
            task,
        });
        *shared.lock().expect("lock") = Some(Arc::clone(&server));
        server
    }

    fn url(&self) -> String {
        format!("{}/jwks.json", self.base)
    }

    fn serve(&self, body: &impl ToString) {
        self.set.lock().expect("lock").0 = body.to_string();
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Stops listening: the next fetch finds the port closed (the client keeps no connection).
    fn stop(&self) {
        self.task.abort();
    }
}

type Shared = Arc<Mutex<Option<Arc<KeyServer>>>>;

fn server_of(shared: &Shared) -> Arc<KeyServer> {
    shared.lock().expect("lock").clone().expect("started")
}

async fn serve_set(State(shared): State<Shared>) -> impl IntoResponse {
    let server = server_of(&shared);
    server.fetches.fetch_add(1, Ordering::SeqCst);
    let (body, cache_control) = server.set.lock().expect("lock").clone();
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, cache_control),
        ],
        body,
    )
}

async fn serve_discovery(State(shared): State<Shared>) -> impl IntoResponse {
    let server = server_of(&shared);
    let mut doc = json!({ "issuer": server.base, "jwks_uri": server.url() });
    if let Some(algs) = server.algs.lock().expect("lock").clone() {
        doc["id_token_signing_alg_values_supported"] = algs;
    }
    axum::Json(doc)
}

fn rsa() -> EncodingKey {
    EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa")
}

fn ec() -> EncodingKey {
    EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).expect("ec")
}

/// The public JWK of `key` for `alg`, named `kid`.
fn jwk(kid: &str, key: &EncodingKey, alg: Algorithm) -> Value {
    let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(key, alg).expect("jwk");
    jwk.common.key_id = Some(kid.to_owned());
    serde_json::to_value(jwk).expect("json")
}

fn old_jwk() -> Value {
    jwk("old", &rsa(), Algorithm::RS256)
}

fn new_jwk() -> Value {
    jwk("new", &ec(), Algorithm::ES256)
}

fn token(kid: &str, key: &EncodingKey, alg: Algorithm) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    let now = now();
    let claims = json!({ "sub": "alice", "exp": now + 600, "nbf": now - 5, "iat": now });
    jsonwebtoken::encode(&header, &claims, key).expect("sign")
}

fn old_token() -> String {
    token("old", &rsa(), Algorithm::RS256)
}

fn new_token() -> String {
    token("new", &ec(), Algorithm::ES256)
}

async fn verify(verifier: &Verifier, token: &str) -> Result<String, TokenCode> {
    verifier
        .verify_async::<Claims>(token)
        .await
        .map(|claims| claims.sub)
        .map_err(|e: TokenError| e.kind())
}

fn verifier(keys: RemoteKeys) -> Verifier {
    Verifier::builder()
        .remote_keys(keys)
        .build()
        .expect("verifier")
}

async fn fetch(url: String) -> RemoteKeys {
    JwksUrl::new(url)
        .min_refresh_interval(INTERVAL)
        .fetch()
        .await
        .expect("first fetch")
}

async fn after_interval() {
    tokio::time::sleep(INTERVAL + Duration::from_millis(100)).await;
}

#[tokio::test]
async fn rotation_old_and_new_tokens() {
    let server = KeyServer::start(json!({ "keys": [old_jwk()] }), "max-age=3600").await;
    let verifier = verifier(fetch(server.url()).await);
    assert_eq!(server.fetches(), 1);
    assert_eq!(
        verify(&verifier, &old_token()).await.as_deref(),
        Ok("alice")
    );
    // A new kid right after a fetch: refused without another (rate limit).
    assert_eq!(
        verify(&verifier, &new_token()).await,
        Err(TokenCode::UnknownKid)
    );
    assert_eq!(server.fetches(), 1);

    // The provider publishes the new key next to the old one and starts signing with it.
    server.serve(&json!({ "keys": [old_jwk(), new_jwk()] }));
    after_interval().await;
    let mut requests = JoinSet::new();
    for _ in 0..32 {
        let verifier = verifier.clone();
        requests.spawn(async move { verify(&verifier, &new_token()).await });
    }
    while let Some(result) = requests.join_next().await {
        assert_eq!(result.expect("task").as_deref(), Ok("alice"));
    }
    assert_eq!(server.fetches(), 2, "32 requests with a new kid, one fetch");
    assert_eq!(
        verify(&verifier, &old_token()).await.as_deref(),
        Ok("alice")
    );

    // The old key is withdrawn: once the set is fetched again, its tokens are refused.
    server.serve(&json!({ "keys": [new_jwk()] }));
    after_interval().await;
    assert_eq!(
        verify(&verifier, &token("newer", &ec(), Algorithm::ES256)).await,
        Err(TokenCode::UnknownKid)
    );
    assert_eq!(server.fetches(), 3);
    assert_eq!(
        verify(&verifier, &old_token()).await,
        Err(TokenCode::UnknownKid)
    );
    assert_eq!(
        verify(&verifier, &new_token()).await.as_deref(),
        Ok("alice")
    );
    assert_eq!(server.fetches(), 3);
}

#[tokio::test]
async fn flood_of_unknown_kids_is_rate_limited() {
    let server = KeyServer::start(json!({ "keys": [old_jwk()] }), "max-age=3600").await;
    let verifier = verifier(fetch(server.url()).await);
    after_interval().await;
    let started = Instant::now();
    let mut requests = JoinSet::new();
    for i in 0..500 {
        let verifier = verifier.clone();
        let token = token(&format!("made-up-{i}"), &rsa(), Algorithm::RS256);
        requests.spawn(async move { verify(&verifier, &token).await });
    }
    while let Some(result) = requests.join_next().await {
        assert_eq!(result.expect("task"), Err(TokenCode::UnknownKid));
    }
    let elapsed = started.elapsed();
    let flood = server.fetches() - 1;
    // The first unknown kid may fetch; after that one per interval at most.
    let bound = 1 + usize::try_from(elapsed.as_secs()).expect("secs");
    assert!(flood >= 1, "the first unknown kid fetches");
    assert!(
        flood <= bound,
        "{flood} fetches in {elapsed:?} for 500 unknown kids"
    );
    assert_eq!(
        verify(&verifier, &old_token()).await.as_deref(),
        Ok("alice")
    );
}

#[tokio::test]
async fn server_down_keeps_the_last_good_set() {
    let server = KeyServer::start(json!({ "keys": [old_jwk()] }), "max-age=1").await;
    let keys = JwksUrl::new(server.url())
        .min_refresh_interval(INTERVAL)
        .cache_bounds(INTERVAL, Duration::from_hours(1))
        .fetch()
        .await
        .expect("fetch");
    let lasting = verifier(keys.clone());
    let bounded = verifier(
        JwksUrl::new(server.url())
            .min_refresh_interval(INTERVAL)
            .cache_bounds(INTERVAL, Duration::from_hours(1))
            .max_stale(Duration::ZERO)
            .fetch()
            .await
            .expect("fetch"),
    );
    assert_eq!(server.fetches(), 2);
    server.stop();
    after_interval().await;
    // Stale, and the refresh fails: the last good set still verifies, within max_stale.
    assert_eq!(verify(&lasting, &old_token()).await.as_deref(), Ok("alice"));
    assert_eq!(
        verify(&lasting, &new_token()).await,
        Err(TokenCode::UnknownKid)
    );
    // With no staleness allowed, nothing verifies until a fetch succeeds.
    assert_eq!(
        verify(&bounded, &old_token()).await,
        Err(TokenCode::KeysUnavailable)
    );
    assert_eq!(
        server.fetches(),
        2,
        "nothing answered once the server stopped"
    );
    // A verifier cannot start without its keys.
    let error = JwksUrl::new(server.url()).fetch().await.expect_err("down");
    assert!(error.to_string().contains("fetch failed"), "{error}");
}

#[tokio::test]
async fn a_set_that_turns_invalid_is_not_taken() {
    let server = KeyServer::start(json!({ "keys": [old_jwk()] }), "max-age=3600").await;
    let verifier = verifier(fetch(server.url()).await);
    let mut private = new_jwk();
    private["d"] = json!("AAAA");
    let mut without_kid = new_jwk();
    without_kid.as_object_mut().expect("object").remove("kid");
    let invalid = [
        json!({ "keys": [old_jwk(), private] }).to_string(),
        json!({ "keys": [old_jwk(), new_jwk(), new_jwk()] }).to_string(),
        json!({ "keys": [old_jwk(), without_kid] }).to_string(),
        r#"{"keys":[],"keys":[]}"#.to_owned(),
        "<html>maintenance</html>".to_owned(),
    ];
    for (i, body) in invalid.iter().enumerate() {
        server.serve(body);
        after_interval().await;
        assert_eq!(
            verify(&verifier, &new_token()).await,
            Err(TokenCode::UnknownKid),
            "{body}"
        );
        assert_eq!(server.fetches(), 2 + i, "{body} was fetched");
        assert_eq!(
            verify(&verifier, &old_token()).await.as_deref(),
            Ok("alice"),
            "{body}"
        );
    }
    let error = JwksUrl::new(server.url())
        .fetch()
        .await
        .expect_err("invalid");
    assert!(error.to_string().contains("JWK set at"), "{error}");
}

#[tokio::test]
async fn cache_control_max_age_is_honoured() {
    let server = KeyServer::start(json!({ "keys": [old_jwk()] }), "public, max-age=1").await;
    let keys = JwksUrl::new(server.url())
        .min_refresh_interval(INTERVAL)
        .cache_bounds(INTERVAL, Duration::from_hours(1))
        .fetch()
        .await
        .expect("fetch");
    let verifier = verifier(keys);
    server.serve(&json!({ "keys": [new_jwk()] }));
    after_interval().await;
    // The set is stale: fetched again before verifying, so the withdrawn key no longer works.
    assert_eq!(
        verify(&verifier, &old_token()).await,
        Err(TokenCode::UnknownKid)
    );
    assert_eq!(server.fetches(), 2);
    assert_eq!(
        verify(&verifier, &new_token()).await.as_deref(),
        Ok("alice")
    );
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn discovery_document_names_the_set() {
    let server = KeyServer::start(json!({ "keys": [old_jwk()] }), "max-age=3600").await;
    let keys = JwksUrl::discover(server.base.clone())
        .fetch()
        .await
        .expect("discover");
    assert_eq!(keys.url(), server.url());
    let verifier = verifier(keys);
    assert_eq!(
        verify(&verifier, &old_token()).await.as_deref(),
        Ok("alice")
    );
    let other = format!("{}/tenant", server.base);
    let error = JwksUrl::discover(other).fetch().await.expect_err("issuer");
    assert!(error.to_string().contains("discovery at"), "{error}");
}

#[tokio::test]
async fn https_only_except_loopback() {
    for url in [
        "http://id.example/jwks.json",
        "http://10.0.0.1/jwks.json",
        "ftp://id.example/jwks.json",
    ] {
        let error = JwksUrl::new(url).fetch().await.expect_err(url);
        assert!(error.to_string().contains("not an https URL"), "{error}");
    }
    let error = JwksUrl::discover("http://id.example")
        .fetch()
        .await
        .expect_err("http");
    assert!(error.to_string().contains("not an https URL"), "{error}");
    let mixed = Verifier::builder()
        .key(guarded::Key::hs256([7; 32]).expect("key"))
        .remote_keys({
            let server = KeyServer::start(json!({ "keys": [old_jwk()] }), "max-age=60").await;
            fetch(server.url()).await
        })
        .build()
        .expect_err("mixed");
    assert!(mixed.to_string().contains("only keys"), "{mixed}");
}

#[tokio::test]
async fn rsa_keys_without_alg_take_the_configured_one() {
    let mut entra = old_jwk();
    entra.as_object_mut().expect("object").remove("alg");
    let server = KeyServer::start(json!({ "keys": [entra] }), "max-age=3600").await;
    let error = JwksUrl::new(server.url())
        .fetch()
        .await
        .expect_err("no alg");
    assert!(error.to_string().contains("alg"), "{error}");
    let keys = JwksUrl::new(server.url())
        .default_alg(guarded::Alg::RS256)
        .fetch()
        .await
        .expect("default alg");
    let verifier = verifier(keys);
    assert_eq!(
        verify(&verifier, &old_token()).await.as_deref(),
        Ok("alice")
    );
    let ps = token("old", &rsa(), Algorithm::PS256);
    assert_eq!(verify(&verifier, &ps).await, Err(TokenCode::BadAlgorithm));
}

#[tokio::test]
async fn rsa_keys_without_alg_take_the_discovery_documents_one() {
    let mut entra = old_jwk();
    entra.as_object_mut().expect("object").remove("alg");
    let server = KeyServer::start(json!({ "keys": [entra] }), "max-age=3600").await;
    let discover = || JwksUrl::discover(server.base.clone());
    let algs = |list: Value| *server.algs.lock().expect("lock") = Some(list);
    let error = discover().fetch().await.expect_err("no list");
    assert!(error.to_string().contains("alg"), "{error}");
    algs(json!(["RS256", "PS256"]));
    let error = discover().fetch().await.expect_err("two RSA algorithms");
    assert!(error.to_string().contains("alg"), "{error}");

    algs(json!(["RS256", "ES256"]));
    let listed = verifier(discover().fetch().await.expect("one RSA algorithm"));
    assert_eq!(verify(&listed, &old_token()).await.as_deref(), Ok("alice"));
    let ps = token("old", &rsa(), Algorithm::PS256);
    assert_eq!(verify(&listed, &ps).await, Err(TokenCode::BadAlgorithm));

    // The configured algorithm over the document's.
    let keys = discover()
        .default_alg(guarded::Alg::PS256)
        .fetch()
        .await
        .expect("configured");
    let configured = verifier(keys);
    assert_eq!(verify(&configured, &ps).await.as_deref(), Ok("alice"));
    assert_eq!(
        verify(&configured, &old_token()).await,
        Err(TokenCode::BadAlgorithm)
    );
}
