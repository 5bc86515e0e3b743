//! Shared test fixtures: an isolated database per test on each backend, tokens, and an axum
//! app state.

pub mod backend;

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::FromRef;
use guarded::{Claims, Guard, GuardedDb, Verifier};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Database, Pool};

pub use backend::{Backend, row, seed, sqlite};

pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

/// The router state of the test apps: a pool of one backend and the verifier.
pub struct AppState<DB: Database> {
    pub pool: Pool<DB>,
    pub verifier: Verifier,
}

// Written out: a derive would ask `DB: Clone`, which the database marker types are not.
impl<DB: Database> Clone for AppState<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            verifier: self.verifier.clone(),
        }
    }
}

impl<DB: Database> FromRef<AppState<DB>> for Pool<DB> {
    fn from_ref(state: &AppState<DB>) -> Self {
        state.pool.clone()
    }
}

impl<DB: Database> FromRef<AppState<DB>> for Verifier {
    fn from_ref(state: &AppState<DB>) -> Self {
        state.verifier.clone()
    }
}

/// A guard for `sub` made as a background job makes one (`Guard::trusted`), not from a token.
pub fn guard<DB: GuardedDb>(pool: &Pool<DB>, sub: &str) -> Guard<DB> {
    let claims: Claims =
        serde_json::from_value(serde_json::json!({ "sub": sub, "exp": u64::MAX / 2 }))
            .expect("claims");
    Guard::trusted(pool.clone(), claims)
}

/// A fresh database of `DB`, through its own pool and through an `Any` pool (for fns on
/// `Guard<Any>`); `None` when its server variable is unset.
pub async fn with_any<DB: Backend>() -> Option<(Pool<DB>, AnyPool)> {
    let (pool, url) = DB::fresh_with_url().await?;
    sqlx::any::install_default_drivers();
    let any = AnyPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await
        .expect("an Any pool on the test database");
    Some((pool, any))
}

/// The state over a fresh database of `DB`; `None` when its server variable is unset.
pub async fn state_of<DB: Backend>() -> Option<AppState<DB>> {
    Some(AppState {
        pool: DB::fresh().await?,
        verifier: verifier(),
    })
}

pub fn verifier() -> Verifier {
    Verifier::hs256(SECRET).expect("verifier")
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A valid token for `sub`, signed with [`SECRET`].
pub fn token(sub: &str) -> String {
    guarded_testkit::tokens::token(SECRET, sub)
}

/// An item as `row` reports it.
pub fn item(title: &str, owner: &str) -> (String, String) {
    (title.to_owned(), owner.to_owned())
}

/// A built example, next to the test binary's own `deps/` directory. Plain `cargo test`
/// builds the examples before running tests; with `--test NAME` alone, build them first.
pub fn example_binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target profile directory");
    let path = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --example {name}` (plain `cargo test` builds it)",
        path.display()
    );
    path
}
