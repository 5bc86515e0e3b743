//! Limits a deployment sets: the pool's size and acquire timeout, a statement's time limit,
//! SQLite's busy timeout. Past each, a guarded fn answers 503 at once and writes nothing.

use std::time::{Duration, Instant};

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor, MySql, Postgres, Sqlite};

use super::{assert_unavailable, gate, rename, rename_twice};
use crate::common::{self, Backend, guard};

/// An `Any` pool on `url` of `size` connections, each running `setup` first.
pub(super) async fn limited(
    url: &str,
    size: u32,
    acquire: Duration,
    setup: &'static str,
) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(acquire)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if !setup.is_empty() {
                    conn.execute(setup).await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .expect("an Any pool")
}

/// The pool's one connection is busy in a fn's transaction: another call waits the acquire
/// timeout, no longer, and answers 503; the first fn then finishes as if nothing happened.
async fn pool_exhausted<DB: Backend>() {
    let Some((pool, url)) = DB::fresh_with_url().await else {
        return;
    };
    let acquire = Duration::from_millis(300);
    let any = limited(&url, 1, acquire, "").await;
    let id = common::seed(&pool, "original", "alice").await;
    let other = common::seed(&pool, "other", "alice").await;
    let alice = guard(&any, "alice");

    let (gate, mut control) = gate();
    let first = tokio::spawn(rename_twice(alice.clone(), id, gate));
    control.reached().await;
    let started = Instant::now();
    assert_unavailable(rename(alice.clone(), other, "refused").await, DB::LABEL);
    assert!(
        started.elapsed() < acquire * 10,
        "{}: waited {:?}",
        DB::LABEL,
        started.elapsed()
    );
    assert_eq!(
        common::row(&pool, other).await,
        Some(common::item("other", "alice"))
    );
    control.go();
    first.await.expect("the fn ends").expect("the first call");
    assert_eq!(
        common::row(&pool, id).await,
        Some(common::item("second", "alice"))
    );
}

/// A backend's per-statement time limit, set on each connection of a pool.
trait TimeLimit: Backend {
    /// Ends a statement that waits longer than about a second.
    const LIMIT: &'static str;
    /// Takes the row lock of item `id` in a transaction that stays open.
    const HOLD: &'static str;
}

impl TimeLimit for Postgres {
    const LIMIT: &'static str = "SET statement_timeout = 1000";
    const HOLD: &'static str = "SELECT 1 FROM items WHERE id = $1 FOR UPDATE";
}

impl TimeLimit for MySql {
    const LIMIT: &'static str = "SET SESSION innodb_lock_wait_timeout = 1";
    const HOLD: &'static str = "SELECT 1 FROM items WHERE id = ? FOR UPDATE";
}

/// Another transaction holds the row: the guarded UPDATE waits past the time limit, is
/// cancelled by the database, and the fn answers 503 with nothing written.
async fn over_time_limit<DB: TimeLimit>()
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let Some((pool, url)) = DB::fresh_with_url().await else {
        return;
    };
    let any = limited(&url, 2, Duration::from_secs(5), DB::LIMIT).await;
    let id = common::seed(&pool, "original", "alice").await;
    let alice = guard(&any, "alice");

    let mut holder = pool.begin().await.expect("a transaction");
    sqlx::query(DB::HOLD)
        .bind(id)
        .execute(&mut *holder)
        .await
        .expect("the row lock");
    let result = rename_twice_without_gate(&alice, id).await;
    holder.rollback().await.expect("release");
    assert_unavailable(result, DB::LABEL);
    assert_eq!(
        common::row(&pool, id).await,
        Some(common::item("original", "alice"))
    );
    rename(alice, id, "after").await.expect("the next call");
}

async fn rename_twice_without_gate(
    alice: &guarded::Guard<sqlx::Any>,
    id: i64,
) -> Result<(), guarded::Error> {
    let (gate, control) = gate();
    control.go();
    rename_twice(alice.clone(), id, gate).await
}

/// SQLite: a writer holds the database past the pool's busy timeout; the guarded write
/// answers 503, and the holder's own write is kept.
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_busy_past_its_timeout_is_503_and_loses_nothing() {
    let Some((pool, url)) = Sqlite::fresh_with_url().await else {
        return;
    };
    let any = limited(&url, 2, Duration::from_secs(5), "PRAGMA busy_timeout = 200").await;
    let id = common::seed(&pool, "original", "alice").await;
    let alice = guard(&any, "alice");

    let mut holder = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .expect("the write lock");
    sqlx::query("UPDATE items SET title = 'held' WHERE id = ?")
        .bind(id)
        .execute(&mut *holder)
        .await
        .expect("the holder's write");
    assert_unavailable(rename(alice.clone(), id, "refused").await, "sqlite");
    holder.commit().await.expect("the holder commits");
    assert_eq!(
        common::row(&pool, id).await,
        Some(common::item("held", "alice"))
    );
    rename(alice, id, "after").await.expect("the next call");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exhausted_pool_is_503_after_its_timeout_on_sqlite() {
    pool_exhausted::<Sqlite>().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exhausted_pool_is_503_after_its_timeout_on_postgres() {
    pool_exhausted::<Postgres>().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exhausted_pool_is_503_after_its_timeout_on_mariadb() {
    pool_exhausted::<MySql>().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_statement_over_its_time_limit_is_503_and_rolled_back_on_postgres() {
    over_time_limit::<Postgres>().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_statement_over_its_time_limit_is_503_and_rolled_back_on_mariadb() {
    over_time_limit::<MySql>().await;
}
