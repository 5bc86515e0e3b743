//! Faults: what a guarded fn answers when the database fails under it, and what the rows say
//! afterwards. A fn of two statements stops at a gate between them, so the test can kill its
//! connection, drop its future, exhaust its pool or hold its row exactly there.
//!
//! - a connection killed by the server mid-fn: 503 with `Retry-After`, the first write not
//!   visible, and the next call succeeds on the same pool;
//! - the caller gone mid-fn (the future dropped): rolled back, and the row free at once;
//! - the pool exhausted: 503 after the pool's acquire timeout, never an unbounded wait;
//! - a statement over its time limit (a row held by another transaction): 503, rolled back;
//! - SQLite busy past its busy timeout: 503, nothing lost;
//! - the server restarting under a stream of writes (a proxy cuts every connection):
//!   only successes and 503s, no hang, recovery without a restart, nothing half-written;
//! - the network stalling mid-fn (a proxy holds every byte): the request's deadline ends the
//!   call, the server's idle-in-transaction limit rolls its transaction back and frees the row,
//!   and the pool recovers when the network answers.

mod kill;
mod limits;
mod proxy;
mod restart;
mod stall;

use std::time::Duration;

use axum::response::IntoResponse;
use guarded::{Error, Guard, guarded};
use sqlx::Any;
use tokio::sync::oneshot;

pub use crate::any::rename;

/// Where a fn stops between its statements: it tells the test it is there, then waits for
/// the go (or for the test to drop it).
pub struct Gate {
    reached: oneshot::Sender<()>,
    go: oneshot::Receiver<()>,
}

/// The test's side of a [`Gate`].
pub struct Control {
    reached: oneshot::Receiver<()>,
    go: oneshot::Sender<()>,
}

pub fn gate() -> (Gate, Control) {
    let (reached_tx, reached_rx) = oneshot::channel();
    let (go_tx, go_rx) = oneshot::channel();
    (
        Gate {
            reached: reached_tx,
            go: go_rx,
        },
        Control {
            reached: reached_rx,
            go: go_tx,
        },
    )
}

impl Gate {
    async fn pass(self) {
        let _ = self.reached.send(());
        let _ = self.go.await;
    }
}

impl Control {
    /// Waits until the fn is at the gate (after its first statement).
    pub async fn reached(&mut self) {
        tokio::time::timeout(Duration::from_secs(10), &mut self.reached)
            .await
            .expect("the fn reaches its gate")
            .expect("the fn is alive");
    }

    pub fn go(self) {
        let _ = self.go.send(());
    }
}

/// Two writes in one transaction, with the gate between them.
#[guarded(owner = "items.owner_id")]
pub async fn rename_twice(mut guard: Guard<Any>, id: i64, gate: Gate) -> Result<(), Error> {
    sqlx::query("UPDATE items SET title = 'first' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    gate.pass().await;
    sqlx::query("UPDATE items SET title = 'second' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// `result` is the 503 a failing database answers: `unavailable`, with `Retry-After`.
pub fn assert_unavailable(result: Result<(), Error>, what: &str) {
    let error = match result {
        Err(e @ Error::Unavailable(_)) => e,
        other => panic!("{what}: want 503 unavailable, got {other:?}"),
    };
    let response = error.into_response();
    assert_eq!(response.status(), 503, "{what}");
    assert!(
        response.headers().contains_key("retry-after"),
        "{what}: no Retry-After"
    );
}
