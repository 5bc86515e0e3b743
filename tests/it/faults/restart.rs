//! The database restarts while requests are in flight: every call ends (no hang), as a
//! success or a 503 (never a 500), the pool recovers by itself, and no transaction is
//! half-written.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use guarded::{Error, Guard, guarded};
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, MySql, Postgres};

use super::proxy::Proxy;
use super::rename;
use crate::common::{self, Backend, guard};

/// Two writes in one transaction: a row showing `half` was half-written.
#[guarded(owner = "items.owner_id")]
async fn write_whole(mut guard: Guard<Any>, id: i64) -> Result<(), Error> {
    sqlx::query("UPDATE items SET title = 'half' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    tokio::task::yield_now().await;
    sqlx::query("UPDATE items SET title = 'whole' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

#[derive(Default)]
struct Tally {
    done: AtomicUsize,
    unavailable: AtomicUsize,
    after_outage: AtomicUsize,
}

async fn restart_in_flight<DB: Backend>() {
    const WRITERS: usize = 6;
    let Some((pool, url)) = DB::fresh_with_url().await else {
        return;
    };
    let proxy = Proxy::start(Proxy::target(&url)).await;
    sqlx::any::install_default_drivers();
    let any = AnyPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(2))
        .connect(&proxy.url(&url))
        .await
        .expect("an Any pool through the proxy");
    let alice = guard(&any, "alice");
    let mut ids = Vec::new();
    for _ in 0..WRITERS {
        ids.push(common::seed(&pool, "original", "alice").await);
    }

    let tally = Arc::new(Tally::default());
    let (stop, recovered) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let mut writers = Vec::new();
    for &id in &ids {
        let (alice, tally, stop, recovered) = (
            alice.clone(),
            Arc::clone(&tally),
            Arc::clone(&stop),
            Arc::clone(&recovered),
        );
        writers.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let call = write_whole(alice.clone(), id);
                let result = tokio::time::timeout(Duration::from_secs(10), call)
                    .await
                    .expect("a call hung through the restart");
                match result {
                    Ok(()) if recovered.load(Ordering::SeqCst) => {
                        tally.after_outage.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(()) => {}
                    Err(Error::Unavailable(_)) => {
                        tally.unavailable.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(other) => panic!("{}: not a 503: {other:?}", DB::LABEL),
                }
                tally.done.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.down();
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.up();
    recovered.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.expect("a writer");
    }

    let label = DB::LABEL;
    assert!(
        tally.unavailable.load(Ordering::SeqCst) > 0,
        "{label}: the outage was not seen"
    );
    assert!(
        tally.after_outage.load(Ordering::SeqCst) > 0,
        "{label}: no call succeeded after the server came back"
    );
    for &id in &ids {
        let (title, owner) = common::row(&pool, id).await.expect("the row");
        assert_eq!(owner, "alice");
        assert!(
            title == "whole" || title == "original",
            "{label}: item {id} is {title}"
        );
    }
    rename(alice, ids[0], "after").await.expect("the next call");
    println!(
        "{label}: {} calls through a restart, {} answered 503",
        tally.done.load(Ordering::SeqCst),
        tally.unavailable.load(Ordering::SeqCst)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_in_flight_is_503_then_recovers_on_postgres() {
    restart_in_flight::<Postgres>().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_in_flight_is_503_then_recovers_on_mariadb() {
    restart_in_flight::<MySql>().await;
}
