//! A fresh database per test on each backend, and a reader of its rows: SQLite always,
//! PostgreSQL and MariaDB when `GUARDED_TEST_PG` / `GUARDED_TEST_MYSQL` hold their URLs.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::any::AnyRow;
use sqlx::{AnyPool, AssertSqlSafe, Executor, FromRow};

/// The backends of this run, each with the URL of a fresh database on it. The server
/// creates its tables there.
pub fn fresh(backend: &str) -> Option<String> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // Named as the other suites name theirs, so their runs drop it once it is an hour old.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let name = format!(
        "guarded_{secs}_{}_e{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin = |var: &str, ddl: String| {
        let url = std::env::var(var).ok()?;
        block_on(async {
            let pool = AnyPool::connect(&url).await.expect("the server answers");
            pool.execute(AssertSqlSafe(ddl)).await.expect("a database");
            pool.close().await;
        });
        Some(url)
    };
    match backend {
        "sqlite" => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            Some(format!("sqlite://{}?mode=rwc", path.display()))
        }
        "postgres" => {
            let url = admin("GUARDED_TEST_PG", format!("CREATE SCHEMA {name}"))?;
            let separator = if url.contains('?') { '&' } else { '?' };
            Some(format!("{url}{separator}options[search_path]={name}"))
        }
        _ => {
            let url = admin("GUARDED_TEST_MYSQL", format!("CREATE DATABASE {name}"))?;
            let server = url.split('?').next().unwrap_or(&url);
            let authority = server.find("://").map_or(0, |i| i + 3);
            let end = server[authority..]
                .find('/')
                .map_or(server.len(), |i| authority + i);
            Some(format!("{}/{name}", &server[..end]))
        }
    }
}

pub fn block_on<F: Future>(future: F) -> F::Output {
    sqlx::any::install_default_drivers();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// The rows `sql` reads, through a pool of the test's own (no guard).
pub fn read<T>(url: &str, sql: &str) -> Vec<T>
where
    T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    block_on(async {
        let pool = AnyPool::connect(url).await.expect("connect");
        let rows = sqlx::query_as(AssertSqlSafe(sql.to_owned()))
            .fetch_all(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        pool.close().await;
        rows
    })
}
