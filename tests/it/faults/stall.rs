//! The network stops answering mid-fn: no error, no close, so none of the client's database
//! timeouts ends the wait. Two settings of the deployment's bound it, and this is their proof:
//! the request's deadline (here a `tokio::time::timeout`, in an app tower-http's
//! `TimeoutLayer`) ends the call, and the server's idle-in-transaction timeout ends the
//! transaction the call left open, rolling back its first write and freeing its row. The
//! pool then recovers by itself once the network answers again.

use std::time::Duration;

use sqlx::{Executor, MySql, Postgres};

use super::limits::limited;
use super::proxy::Proxy;
use super::{gate, rename, rename_twice};
use crate::common::{self, Backend, guard};

/// A server-side limit on a transaction left idle: the server rolls it back and closes the
/// connection after two seconds.
trait IdleLimit: Backend {
    const LIMIT: &'static str;
    /// Fails at once (instead of waiting) while another transaction holds item `id`'s row.
    const PROBE: &'static str;
    /// Writes `direct` to item `id`'s title, waiting for its row.
    const WRITE: &'static str;
}

impl IdleLimit for Postgres {
    const LIMIT: &'static str = "SET idle_in_transaction_session_timeout = 2000";
    const PROBE: &'static str = "SELECT 1 FROM items WHERE id = $1 FOR UPDATE NOWAIT";
    const WRITE: &'static str = "UPDATE items SET title = 'direct' WHERE id = $1";
}

impl IdleLimit for MySql {
    const LIMIT: &'static str = "SET SESSION idle_transaction_timeout = 2";
    const PROBE: &'static str = "SELECT 1 FROM items WHERE id = ? FOR UPDATE NOWAIT";
    const WRITE: &'static str = "UPDATE items SET title = 'direct' WHERE id = ?";
}

async fn stalled_mid_fn<DB: IdleLimit>()
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let Some((pool, url)) = DB::fresh_with_url().await else {
        return;
    };
    let label = DB::LABEL;
    let proxy = Proxy::start(Proxy::target(&url)).await;
    let any = limited(&proxy.url(&url), 2, Duration::from_secs(5), DB::LIMIT).await;
    let id = common::seed(&pool, "original", "alice").await;
    let alice = guard(&any, "alice");

    // The first statement is written; the second never reaches the server.
    let (gate, mut control) = gate();
    let deadline = Duration::from_millis(500);
    let call = tokio::spawn(tokio::time::timeout(
        deadline,
        rename_twice(alice.clone(), id, gate),
    ));
    control.reached().await;
    proxy.stall();
    control.go();
    let ended = call.await.expect("the call ends");
    assert!(
        ended.is_err(),
        "{label}: the call ended before its deadline: {ended:?}"
    );

    // The call is over, but its transaction is not: the server still holds the row for it.
    assert_eq!(
        common::row(&pool, id).await,
        Some(common::item("original", "alice")),
        "{label}: the first write is visible"
    );
    let probe = sqlx::query(DB::PROBE).bind(id).execute(&pool).await;
    assert!(
        probe.is_err(),
        "{label}: the row is free while its transaction is stalled, so this test sees no lock"
    );

    // Until the server's idle limit ends it: the row is free, the first write gone.
    let write = sqlx::query(DB::WRITE).bind(id).execute(&pool);
    tokio::time::timeout(Duration::from_secs(10), write)
        .await
        .unwrap_or_else(|_| panic!("{label}: the row is still held past the idle limit"))
        .expect("a direct write");
    assert_eq!(
        common::row(&pool, id).await,
        Some(common::item("direct", "alice")),
        "{label}"
    );

    // The network answers again: the dead connection is dropped, the next call succeeds.
    proxy.resume();
    tokio::time::timeout(Duration::from_secs(10), rename(alice, id, "after"))
        .await
        .unwrap_or_else(|_| panic!("{label}: the next call hung"))
        .expect("the next call");
    assert_eq!(
        common::row(&pool, id).await,
        Some(common::item("after", "alice")),
        "{label}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_link_ends_at_the_deadline_and_the_server_rolls_back_on_postgres() {
    stalled_mid_fn::<Postgres>().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_link_ends_at_the_deadline_and_the_server_rolls_back_on_mariadb() {
    stalled_mid_fn::<MySql>().await;
}
