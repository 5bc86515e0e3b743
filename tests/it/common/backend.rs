//! One isolated database per test on each backend, made and dropped by `guarded-testkit`.
//!
//! SQLite gets a fresh file. PostgreSQL gets a fresh schema (the pool's `search_path`), MariaDB
//! a fresh database, so tests run in parallel and re-run on a dirty server. Each is removed
//! when its test ends, pass or fail (`until_test_end`).
//! A server variable that is unset skips its tests; one that is set but unreachable fails them.

use std::str::FromStr;
use std::time::Duration;

use guarded::GuardedDb;
use guarded_testkit::{Database, until_test_end};
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Executor, MySql, MySqlPool, PgPool, Pool, Postgres, Sqlite, SqlitePool};

/// Connections per test pool: enough for the race suite's concurrent tasks.
const POOL_SIZE: u32 = 8;

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

/// A fresh database of `backend`, kept until the test ends, and its URL; `None` when the
/// server's variable is unset.
fn fresh_database(backend: &str) -> Option<String> {
    let Some(database) = Database::fresh(backend) else {
        eprintln!("no {backend} server is set: skipping this backend");
        return None;
    };
    let url = database.url.clone();
    until_test_end(database);
    Some(url)
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
        let url = fresh_database("sqlite")?;
        let options = SqliteConnectOptions::from_str(&url)
            .expect("a SQLite URL")
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
        let url = fresh_database("postgres")?;
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
        let url = fresh_database("mysql")?;
        let options = MySqlConnectOptions::from_str(&url).expect("a MySQL URL");
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
