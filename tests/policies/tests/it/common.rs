//! A fresh database per test on each backend (`guarded-testkit`), through an `Any` pool:
//! SQLite always, PostgreSQL and MariaDB when `GUARDED_TEST_PG` / `GUARDED_TEST_MYSQL` hold
//! their URLs.

use guarded::{Claims, Guard};
use guarded_testkit::Database;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor};

/// The backends of this run, by name.
pub fn backends() -> Vec<&'static str> {
    let mut on = vec!["sqlite"];
    on.extend(std::env::var_os("GUARDED_TEST_PG").map(|_| "postgres"));
    on.extend(std::env::var_os("GUARDED_TEST_MYSQL").map(|_| "mysql"));
    on
}

/// A pool on a fresh database of `backend` with the suite's tables, removed when the test
/// ends.
pub async fn fresh(backend: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    let database = Database::fresh(backend).expect("a backend of this run");
    let url = database.url.clone();
    guarded_testkit::until_test_end(database);
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{backend}: {e}"));
    if backend == "sqlite" {
        // Writers then wait their busy timeout for each other instead of failing when a
        // reader holds the file: what a deployment sets, and what the race's parallel
        // trials need.
        exec(&pool, "PRAGMA journal_mode = WAL").await;
    }
    guarded_policies::schema::create(&pool, backend)
        .await
        .expect("the suite's tables");
    pool
}

/// Runs one statement of the test's own (no guard): setting up rows, reading them back.
pub async fn exec(pool: &AnyPool, sql: &str) {
    pool.execute(AssertSqlSafe(sql.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// An item of `owner`; returns its id.
pub async fn item(pool: &AnyPool, title: &str, owner: &str) -> i64 {
    exec(
        pool,
        &format!("INSERT INTO items (title, owner_id) VALUES ('{title}', '{owner}')"),
    )
    .await;
    sqlx::query_scalar::<Any, i64>(AssertSqlSafe(format!(
        "SELECT MAX(id) FROM items WHERE title = '{title}'"
    )))
    .fetch_one(pool)
    .await
    .expect("the item")
}

/// The item's (title, owner) as stored.
pub async fn row(pool: &AnyPool, id: i64) -> Option<(String, String)> {
    sqlx::query_as::<Any, (String, String)>(AssertSqlSafe(format!(
        "SELECT title, owner_id FROM items WHERE id = {id}"
    )))
    .fetch_optional(pool)
    .await
    .expect("the row")
}

/// A guard for `sub` holding the token's `jti` and `iat`, as a verified token gives them.
pub fn guard(pool: &AnyPool, sub: &str, jti: &str, iat: u64) -> Guard<Any> {
    let claims: Claims = serde_json::from_value(serde_json::json!({
        "sub": sub, "exp": u64::MAX / 2, "iat": iat, "jti": jti,
    }))
    .expect("claims");
    Guard::trusted(pool.clone(), claims)
}
