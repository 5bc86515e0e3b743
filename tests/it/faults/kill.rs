//! The server kills the fn's connection between its two statements; the caller disconnects
//! at the same place.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor, MySql, MySqlPool, PgPool, Pool, Postgres, Sqlite};

use super::{assert_unavailable, gate, rename, rename_twice};
use crate::common::{self, Backend, guard};

/// A backend whose server can end a connection of the test's `Any` pool.
trait Kill: Backend {
    /// The `Any` pool on `url`, marked so that [`Kill::kill`] finds its connections.
    fn any_url(url: &str, mark: &str) -> String;

    /// Ends every connection of the `Any` pool, from a connection of `pool`.
    async fn kill(pool: &Pool<Self>, mark: &str);
}

impl Kill for Postgres {
    fn any_url(url: &str, mark: &str) -> String {
        format!("{url}&application_name={mark}")
    }

    async fn kill(pool: &PgPool, mark: &str) {
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(mark)
        .fetch_all(pool)
        .await
        .expect("terminate");
        assert!(!killed.is_empty(), "no connection to kill");
    }
}

impl Kill for MySql {
    fn any_url(url: &str, _: &str) -> String {
        url.to_owned()
    }

    /// Every other connection to the test's own database: the `Any` pool's, and the idle
    /// ones of `pool`, which reconnect.
    async fn kill(pool: &MySqlPool, _: &str) {
        let mut conn = pool.acquire().await.expect("a connection");
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT ID FROM information_schema.PROCESSLIST \
             WHERE DB = DATABASE() AND ID <> CONNECTION_ID()",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("the process list");
        assert!(!ids.is_empty(), "no connection to kill");
        for id in ids {
            // One may be gone already.
            let _ = (&mut *conn)
                .execute(sqlx::AssertSqlSafe(format!("KILL {id}")))
                .await;
        }
    }
}

async fn any_pool(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .expect("an Any pool")
}

async fn killed_mid_fn<DB: Kill>() {
    let Some((pool, url)) = DB::fresh_with_url().await else {
        return;
    };
    let mark = format!("guarded_kill_{}", std::process::id());
    let any = any_pool(&DB::any_url(&url, &mark)).await;
    let id = common::seed(&pool, "original", "alice").await;
    let alice = guard(&any, "alice");

    let (gate, mut control) = gate();
    let call = tokio::spawn(rename_twice(alice.clone(), id, gate));
    control.reached().await;
    DB::kill(&pool, &mark).await;
    control.go();
    let result = call.await.expect("the fn ends");
    assert_unavailable(result, DB::LABEL);
    assert_eq!(
        common::row(&pool, id).await,
        Some(common::item("original", "alice")),
        "{}: the first statement's write is visible",
        DB::LABEL
    );

    // The same pool, no restart: the next call gets a live connection.
    rename(alice, id, "after").await.expect("the next call");
    assert_eq!(
        common::row(&pool, id).await,
        Some(common::item("after", "alice"))
    );
}

/// The caller goes away between the two statements: the future is dropped, the transaction
/// rolls back, and the row is free for the next writer at once (its lock is not left behind
/// on an idle pooled connection).
async fn dropped_mid_fn<DB: Backend>() {
    let Some((pool, any)) = common::with_any::<DB>().await else {
        return;
    };
    let id = common::seed(&pool, "original", "alice").await;
    let alice = guard(&any, "alice");

    let (gate, mut control) = gate();
    let call = tokio::spawn(rename_twice(alice.clone(), id, gate));
    control.reached().await;
    call.abort();
    assert!(call.await.is_err_and(|e| e.is_cancelled()));
    assert_eq!(
        common::row(&pool, id).await,
        Some(common::item("original", "alice")),
        "{}",
        DB::LABEL
    );
    // Another writer of the row, through the same pool: not blocked by a lock of the dropped
    // transaction.
    tokio::time::timeout(Duration::from_secs(10), rename(alice.clone(), id, "after"))
        .await
        .unwrap_or_else(|_| panic!("{}: the dropped fn's lock outlived it", DB::LABEL))
        .expect("the next writer");
    assert_eq!(
        common::row(&pool, id).await,
        Some(common::item("after", "alice"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_killed_mid_fn_is_503_and_writes_nothing_on_postgres() {
    killed_mid_fn::<Postgres>().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_killed_mid_fn_is_503_and_writes_nothing_on_mariadb() {
    killed_mid_fn::<MySql>().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_fn_rolls_back_on_sqlite() {
    dropped_mid_fn::<Sqlite>().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_fn_rolls_back_on_postgres() {
    dropped_mid_fn::<Postgres>().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_fn_rolls_back_on_mariadb() {
    dropped_mid_fn::<MySql>().await;
}
