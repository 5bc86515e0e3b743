//! A fresh database per test on each backend, through an `Any` pool: SQLite always,
//! PostgreSQL and MariaDB when `GUARDED_TEST_PG` / `GUARDED_TEST_MYSQL` hold their URLs.
//!
//! Each one is dropped when its [`Db`] is, pass or fail (a panicking test unwinds through
//! the drop): the SQLite file, the PostgreSQL schema, the MariaDB database. Names carry the
//! time they were made, and a run drops those of its kind older than an hour, left by a run
//! that was killed.

use std::sync::atomic::{AtomicU32, Ordering};

use guarded::Guard;
use guarded_tenants::Member;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor};

/// The prefix of every database this suite makes.
const PREFIX: &str = "tenants_";

/// The backends of this run, by name.
pub fn backends() -> Vec<&'static str> {
    let mut on = vec!["sqlite"];
    on.extend(std::env::var_os("GUARDED_TEST_PG").map(|_| "postgres"));
    on.extend(std::env::var_os("GUARDED_TEST_MYSQL").map(|_| "mysql"));
    on
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn unique() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{PREFIX}{}_{}_{}",
        now(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether a name made by `unique` is more than an hour old: left by an earlier run.
fn is_stale(name: &str) -> bool {
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.split('_').next())
        .and_then(|s| s.parse::<u64>().ok())
        .is_some_and(|secs| secs + 3600 < now())
}

/// A MySQL URL without its database and parameters: `mysql://user@host:port`.
fn server_of(url: &str) -> &str {
    let url = url.split('?').next().unwrap_or(url);
    let authority = url.find("://").map_or(0, |i| i + 3);
    match url[authority..].find('/') {
        Some(path) => &url[..authority + path],
        None => url,
    }
}

/// A test's database on one backend, dropped with it.
pub struct Db {
    pub pool: AnyPool,
    pub backend: &'static str,
    name: String,
}

impl std::ops::Deref for Db {
    type Target = AnyPool;
    fn deref(&self) -> &AnyPool {
        &self.pool
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let (backend, name) = (self.backend, self.name.clone());
        if backend == "sqlite" {
            // Open connections keep the unlinked file until they close; nothing reopens it.
            let path = sqlite_path(&name);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            return;
        }
        // The test's runtime may be the one running this drop: the cleanup gets its own, on
        // a thread of its own.
        let cleanup = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(drop_database(backend, &name));
        });
        // A second panic while a failed test unwinds would abort the run.
        assert!(
            cleanup.join().is_ok() || std::thread::panicking(),
            "{backend}: the test database {} was not dropped",
            self.name
        );
    }
}

fn sqlite_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("{name}.db"))
}

/// Ends the test pool's sessions (a transaction a failed test left open would hold its
/// locks) and drops the database.
async fn drop_database(backend: &str, name: &str) {
    let admin = admin(backend).await;
    let statements = if backend == "postgres" {
        vec![
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = '{name}'"
            ),
            format!("DROP SCHEMA IF EXISTS {name} CASCADE"),
        ]
    } else {
        let sessions: Vec<i64> = sqlx::query_scalar::<Any, i64>(AssertSqlSafe(format!(
            "SELECT CAST(id AS SIGNED) FROM information_schema.processlist WHERE db = '{name}'"
        )))
        .fetch_all(&admin)
        .await
        .expect("the sessions");
        let mut kills: Vec<String> = sessions.iter().map(|id| format!("KILL {id}")).collect();
        kills.push(format!("DROP DATABASE IF EXISTS {name}"));
        kills
    };
    for statement in statements {
        // A session may end by itself before its KILL: what matters is the DROP.
        let result = admin.execute(AssertSqlSafe(statement.clone())).await;
        if statement.starts_with("DROP") {
            result.unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
    }
    admin.close().await;
}

/// A pool on the server of `backend`, outside any test database.
async fn admin(backend: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    let var = if backend == "postgres" {
        "GUARDED_TEST_PG"
    } else {
        "GUARDED_TEST_MYSQL"
    };
    let url = std::env::var(var).expect("set");
    AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{var} is set, but its server does not answer: {e}"))
}

/// Drops the databases of this suite an earlier, killed run left behind.
async fn drop_stale(backend: &str, admin: &AnyPool) {
    let list = if backend == "postgres" {
        "SELECT CAST(nspname AS TEXT) FROM pg_namespace WHERE nspname LIKE 'tenants\\_%'"
    } else {
        "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata \
         WHERE schema_name LIKE 'tenants\\_%'"
    };
    let names: Vec<String> = sqlx::query_scalar::<Any, String>(list)
        .fetch_all(admin)
        .await
        .expect("the databases");
    for name in names.iter().filter(|n| is_stale(n)) {
        let drop = if backend == "postgres" {
            format!("DROP SCHEMA IF EXISTS {name} CASCADE")
        } else {
            format!("DROP DATABASE IF EXISTS {name}")
        };
        // Another run may drop it at the same moment; either way it is gone.
        let _ = admin.execute(AssertSqlSafe(drop)).await;
    }
}

/// The URL of a fresh database `name` on `backend`, made on its server.
async fn create_database(backend: &str, name: &str) -> String {
    if backend == "sqlite" {
        return format!("sqlite://{}?mode=rwc", sqlite_path(name).display());
    }
    let admin = admin(backend).await;
    drop_stale(backend, &admin).await;
    let url = if backend == "postgres" {
        let url = std::env::var("GUARDED_TEST_PG").expect("set");
        exec(&admin, &format!("CREATE SCHEMA {name}")).await;
        let separator = if url.contains('?') { '&' } else { '?' };
        // The application name marks the test's sessions, for the drop to end them.
        format!("{url}{separator}options[search_path]={name}&application_name={name}")
    } else {
        let url = std::env::var("GUARDED_TEST_MYSQL").expect("set");
        exec(&admin, &format!("CREATE DATABASE {name}")).await;
        format!("{}/{name}", server_of(&url))
    };
    admin.close().await;
    url
}

/// A fresh database of `backend` with the suite's tables.
pub async fn fresh(backend: &'static str) -> Db {
    sqlx::any::install_default_drivers();
    let name = unique();
    let url = create_database(backend, &name).await;
    // Dropped from here on, whatever fails next.
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .connect_lazy(&url)
        .unwrap_or_else(|e| panic!("{backend}: {e}"));
    let db = Db {
        pool,
        backend,
        name,
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
