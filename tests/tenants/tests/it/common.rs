//! A fresh database per test on each backend, through an `Any` pool: SQLite always,
//! PostgreSQL and MariaDB when `GUARDED_TEST_PG` / `GUARDED_TEST_MYSQL` hold their URLs.
//! `guarded-testkit` makes each one and drops it when its [`Db`] is, pass or fail (a
//! panicking test unwinds through the drop).

use guarded::Guard;
use guarded_tenants::Member;
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

/// A test's database on one backend, dropped with it.
pub struct Db {
    pub pool: AnyPool,
    pub backend: &'static str,
    _database: Database,
}

impl std::ops::Deref for Db {
    type Target = AnyPool;
    fn deref(&self) -> &AnyPool {
        &self.pool
    }
}

/// A fresh database of `backend` with the suite's tables.
pub async fn fresh(backend: &'static str) -> Db {
    sqlx::any::install_default_drivers();
    let database = Database::fresh(backend).expect("a backend of this run");
    // Dropped from here on, whatever fails next.
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .connect_lazy(&database.url)
        .unwrap_or_else(|e| panic!("{backend}: {e}"));
    let db = Db {
        pool,
        backend,
        _database: database,
    };
    if backend == "sqlite" {
        // Writers then wait their busy timeout for each other instead of failing when a
        // reader holds the file: what a deployment sets, and what the race's trials need.
        exec(&db, "PRAGMA journal_mode = WAL").await;
    }
    guarded_tenants::schema::create(&db, backend)
        .await
        .expect("the suite's tables");
    db
}

/// Runs one statement of the test's own (no guard): setting up rows, reading them back.
pub async fn exec(pool: &AnyPool, sql: &str) {
    pool.execute(AssertSqlSafe(sql.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A note of `owner` in `org`; returns its id.
pub async fn note(pool: &AnyPool, org: &str, owner: &str, title: &str) -> i64 {
    exec(
        pool,
        &format!(
            "INSERT INTO notes (org_id, owner_id, title) VALUES ('{org}', '{owner}', '{title}')"
        ),
    )
    .await;
    sqlx::query_scalar::<Any, i64>(AssertSqlSafe(format!(
        "SELECT MAX(id) FROM notes WHERE title = '{title}'"
    )))
    .fetch_one(pool)
    .await
    .expect("the note")
}

/// A label of `owner` in `org` on the note `note`.
pub async fn label(pool: &AnyPool, org: &str, owner: &str, note: i64, name: &str) {
    exec(
        pool,
        &format!(
            "INSERT INTO labels (org_id, owner_id, note_id, name) \
             VALUES ('{org}', '{owner}', {note}, '{name}')"
        ),
    )
    .await;
}

/// Makes `user` a member of `org` with `role` (`member` or `admin`).
pub async fn join(pool: &AnyPool, org: &str, user: &str, role: &str) {
    exec(
        pool,
        &format!(
            "INSERT INTO members (org_id, user_id, role) VALUES ('{org}', '{user}', '{role}')"
        ),
    )
    .await;
}

/// A stored note as (org, owner, title, version).
pub type Row = (String, String, String, i64);

/// Every note as stored, by id: what a test compares before and after.
pub async fn notes(pool: &AnyPool) -> Vec<(i64, Row)> {
    let rows = sqlx::query_as::<Any, (i64, String, String, String, i64)>(
        "SELECT id, org_id, owner_id, title, version FROM notes ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("the notes");
    rows.into_iter()
        .map(|(id, org, owner, title, version)| (id, (org, owner, title, version)))
        .collect()
}

/// One note as stored.
pub async fn row(pool: &AnyPool, id: i64) -> Option<Row> {
    notes(pool)
        .await
        .into_iter()
        .find_map(|(n, row)| (n == id).then_some(row))
}

/// Every label as stored: (org, owner, note, name), ordered.
pub async fn labels(pool: &AnyPool) -> Vec<(String, String, i64, String)> {
    sqlx::query_as::<Any, (String, String, i64, String)>(
        "SELECT org_id, owner_id, note_id, name FROM labels ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("the labels")
}

/// A guard for `sub` acting in `org`, as a verified token gives it.
pub fn guard(pool: &AnyPool, sub: &str, org: &str) -> Guard<Any, Member> {
    claims(pool, sub, Some(org))
}

/// A guard for `sub` whose token names `org`, or no organisation.
pub fn claims(pool: &AnyPool, sub: &str, org: Option<&str>) -> Guard<Any, Member> {
    let member = Member {
        sub: sub.into(),
        org: org.map(Into::into),
        jti: Some(format!("{sub}-token")),
        iat: Some(1_800_000_000),
    };
    Guard::trusted(pool.clone(), member)
}
