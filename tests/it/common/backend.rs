//! One isolated database per test on each backend.
//!
//! SQLite gets a fresh file. PostgreSQL gets a fresh schema (the pool's `search_path`), MariaDB
//! a fresh database, both named `guarded_<unix time>_<pid>_<n>`, so tests run in parallel and
//! re-run on a dirty server. Each is removed when its test ends (`cleanup`); names older than
//! an hour, left by a run killed outright, are dropped by the next run.
//! A server variable that is unset skips its tests; one that is set but unreachable fails them.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use guarded::GuardedDb;

use super::cleanup::{self, Made};
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Executor, MySql, MySqlPool, PgPool, Pool, Postgres, Sqlite, SqlitePool};

/// Connections per test pool: enough for the race suite's concurrent tasks.
const POOL_SIZE: u32 = 8;

/// How long a set-but-down server gets before its tests fail.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A backend the suites run on.
pub trait Backend: GuardedDb {
    /// Shown in test output and in the race report.
    const LABEL: &'static str;

    /// A fresh, isolated database with the test schema, and the URL that names it (for an
    /// `Any` pool on it); `None` when the server's variable is unset (the tests of this
    /// backend then skip).
    fn fresh_with_url() -> impl Future<Output = Option<(Pool<Self>, String)>> + Send;

    /// [`Backend::fresh_with_url`], the pool alone.
    fn fresh() -> impl Future<Output = Option<Pool<Self>>> + Send {
        async { Self::fresh_with_url().await.map(|(pool, _)| pool) }
    }

    /// Inserts an item owned by `owner` directly (not through a guard); returns its id.
    fn seed(pool: &Pool<Self>, title: &str, owner: &str) -> impl Future<Output = i64> + Send;

    /// The item's (title, owner) as stored, or `None` when it is gone.
    fn row(pool: &Pool<Self>, id: i64) -> impl Future<Output = Option<(String, String)>> + Send;

    /// The owner the database saw when it last wrote the title (see `schema.sql`).
    fn written_under(pool: &Pool<Self>, id: i64) -> impl Future<Output = Option<String>> + Send;
}

/// Inserts an item owned by `owner` directly (not through a guard) and returns its id.
pub async fn seed<DB: Backend>(pool: &Pool<DB>, title: &str, owner: &str) -> i64 {
    DB::seed(pool, title, owner).await
}

/// The item's (title, owner) as stored, or `None` when it is gone.
pub async fn row<DB: Backend>(pool: &Pool<DB>, id: i64) -> Option<(String, String)> {
    DB::row(pool, id).await
}

/// A fresh SQLite file database with the schema, unique to this test.
pub async fn sqlite() -> SqlitePool {
    Sqlite::fresh().await.expect("SQLite needs no server")
}

fn unique_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "guarded_{}_{}_{}",
        super::now(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether a name made by `unique_name` is more than an hour old: left by an earlier run.
fn is_stale(name: &str) -> bool {
    let secs = name
        .strip_prefix("guarded_")
        .and_then(|rest| rest.split('_').next())
        .and_then(|s| s.parse::<u64>().ok());
    secs.is_some_and(|s| s + 3600 < super::now())
}

/// The server URL from `var`: `None` when unset, a panic when set but not Unicode.
fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) => Some(url),
        Err(std::env::VarError::NotPresent) => {
            eprintln!("{var} is unset: skipping this backend");
            None
        }
        Err(e) => panic!("{var}: {e}"),
    }
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

/// Runs each `;`-terminated statement of `script` (MySQL takes one statement per query).
async fn run_script<'e, E>(executor: E, script: &'static str)
where
    E: Executor<'e> + Copy,
{
    for statement in script.split(';').filter(|s| !s.trim().is_empty()) {
        executor
            .execute(statement)
            .await
            .unwrap_or_else(|e| panic!("schema statement failed: {e}\n{statement}"));
    }
}

impl Backend for Sqlite {
    const LABEL: &'static str = "sqlite";

    async fn fresh_with_url() -> Option<(SqlitePool, String)> {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
        let url = format!("sqlite://{}", path.display());
        cleanup::at_test_end(Made::SqliteFile(path.clone()));
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect_with(options)
            .await
            .expect("open test database");
        run_script(&pool, include_str!("../../schema.sql")).await;
        Some((pool, url))
    }

    async fn seed(pool: &SqlitePool, title: &str, owner: &str) -> i64 {
        sqlx::query_scalar("INSERT INTO items (title, owner_id) VALUES (?, ?) RETURNING id")
            .bind(title)
            .bind(owner)
            .fetch_one(pool)
            .await
            .expect("seed item")
    }

    async fn row(pool: &SqlitePool, id: i64) -> Option<(String, String)> {
        sqlx::query_as("SELECT title, owner_id FROM items WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await
            .expect("read item")
    }

    async fn written_under(pool: &SqlitePool, id: i64) -> Option<String> {
        sqlx::query_scalar("SELECT written_under FROM items WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await
            .expect("read item")
            .flatten()
    }
}

impl Backend for Postgres {
    const LABEL: &'static str = "postgres";

    async fn fresh_with_url() -> Option<(PgPool, String)> {
        let url = server_url("GUARDED_TEST_PG")?;
        let admin = PgPoolOptions::new()
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect(&url)
            .await
            .unwrap_or_else(|e| {
                panic!("GUARDED_TEST_PG is set, but its server does not answer: {e}")
            });
        let old: Vec<String> = sqlx::query_scalar(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'guarded\\_%'",
        )
        .fetch_all(&admin)
        .await
        .expect("list schemas");
        for name in old.iter().filter(|n| is_stale(n)) {
            // Another run may drop it at the same moment; either way it is gone.
            let _ = admin
                .execute(AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {name} CASCADE"
                )))
                .await;
        }
        let schema = unique_name();
        admin
            .execute(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .await
            .expect("create schema");
        cleanup::at_test_end(Made::PgSchema {
            url: url.clone(),
            schema: schema.clone(),
        });
        admin.close().await;
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{separator}options[search_path]={schema}");
        let options =
            PgConnectOptions::from_str(&url).expect("GUARDED_TEST_PG is a PostgreSQL URL");
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect_with(options)
            .await
            .expect("connect to the test schema");
        run_script(&pool, include_str!("../../schema_postgres.sql")).await;
        Some((pool, url))
    }

    async fn seed(pool: &PgPool, title: &str, owner: &str) -> i64 {
        sqlx::query_scalar("INSERT INTO items (title, owner_id) VALUES ($1, $2) RETURNING id")
            .bind(title)
            .bind(owner)
            .fetch_one(pool)
            .await
            .expect("seed item")
    }

    async fn row(pool: &PgPool, id: i64) -> Option<(String, String)> {
        sqlx::query_as("SELECT title, owner_id FROM items WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
            .expect("read item")
    }

    async fn written_under(pool: &PgPool, id: i64) -> Option<String> {
        sqlx::query_scalar("SELECT written_under FROM items WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
            .expect("read item")
            .flatten()
    }
}

impl Backend for MySql {
    const LABEL: &'static str = "mariadb";

    async fn fresh_with_url() -> Option<(MySqlPool, String)> {
        let url = server_url("GUARDED_TEST_MYSQL")?;
        let admin = MySqlPoolOptions::new()
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect(&url)
            .await
            .unwrap_or_else(|e| {
                panic!("GUARDED_TEST_MYSQL is set, but its server does not answer: {e}")
            });
        let old: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata \
             WHERE schema_name LIKE 'guarded\\_%'",
        )
        .fetch_all(&admin)
        .await
        .expect("list databases");
        for name in old.iter().filter(|n| is_stale(n)) {
            let _ = admin
                .execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                .await;
        }
        let database = unique_name();
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .await
            .expect("create database");
        cleanup::at_test_end(Made::MySqlDatabase {
            url: url.clone(),
            database: database.clone(),
        });
        admin.close().await;
        let options = MySqlConnectOptions::from_str(&url)
            .expect("GUARDED_TEST_MYSQL is a MySQL URL")
            .database(&database);
        let url = format!("{}/{database}", server_of(&url));
        let pool = MySqlPoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect_with(options)
            .await
            .expect("connect to the test database");
        run_script(&pool, include_str!("../../schema_mysql.sql")).await;
        Some((pool, url))
    }

    async fn seed(pool: &MySqlPool, title: &str, owner: &str) -> i64 {
        let done = sqlx::query("INSERT INTO items (title, owner_id) VALUES (?, ?)")
            .bind(title)
            .bind(owner)
            .execute(pool)
            .await
            .expect("seed item");
        i64::try_from(done.last_insert_id()).expect("id fits i64")
    }

    async fn row(pool: &MySqlPool, id: i64) -> Option<(String, String)> {
        sqlx::query_as("SELECT title, owner_id FROM items WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await
            .expect("read item")
    }

    async fn written_under(pool: &MySqlPool, id: i64) -> Option<String> {
        sqlx::query_scalar("SELECT written_under FROM items WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await
            .expect("read item")
            .flatten()
    }
}
