//! A reader of the test database's rows (the database itself comes from `guarded-testkit`).

use sqlx::any::AnyRow;
use sqlx::{AnyPool, AssertSqlSafe, FromRow};

pub use guarded_testkit::block_on;

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
