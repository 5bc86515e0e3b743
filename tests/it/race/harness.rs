//! Runs one scenario over many trials and counts unauthorized writes from the database's own
//! record of them.
//!
//! Ground truth, never the handlers' responses:
//! - an update writes `written_under = owner_id` in the same statement, so the row records the
//!   owner the database saw at the moment of the write; anyone but the writer is a violation;
//! - a delete is a violation when the row is gone although the ownership change (a
//!   single-row UPDATE by key) affected it: the change saw the row, so the delete came later,
//!   when the row was no longer the writer's.

use std::pin::Pin;

use guarded::Guard;
use sqlx::Pool;
use sqlx::pool::PoolOptions;
use tokio::task::JoinSet;

use super::claims;
use crate::common::Backend;

/// The writer: owns every item when its trial starts.
pub const WRITER: &str = "alice";
/// Who a transfer hands the item to.
pub const RECEIVER: &str = "bob";

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
/// A guarded handler acting on one item.
pub type GuardedWrite<DB> = fn(Guard<DB>, i64) -> BoxFuture<Result<(), guarded::Error>>;
/// A guarded handler giving one item to the named user.
pub type Transfer<DB> = fn(Guard<DB>, i64, &'static str) -> BoxFuture<Result<(), guarded::Error>>;
/// A naive handler acting on one item for the named user.
pub type NaiveWrite<DB> = fn(Pool<DB>, &'static str, i64) -> BoxFuture<Result<(), sqlx::Error>>;

/// The handlers of one backend, in its dialect (see `handlers.rs`).
pub struct Handlers<DB: Backend> {
    /// `#[guarded]`: writes the title (and `written_under`) if the caller owns the item.
    pub guarded_update: GuardedWrite<DB>,
    /// `#[guarded]`: deletes the item if the caller owns it.
    pub guarded_delete: GuardedWrite<DB>,
    /// Check-then-act: SELECT the owner, compare in Rust, widen the window, UPDATE by key.
    pub naive_update: NaiveWrite<DB>,
    /// Check-then-act: SELECT the owner, compare in Rust, widen the window, DELETE by key.
    pub naive_delete: NaiveWrite<DB>,
    /// `#[guarded]`: the owner hands the item to someone else.
    pub transfer: Transfer<DB>,
    /// An administrator reassigns the item (no guard); returns the rows affected.
    pub revoke: fn(Pool<DB>, i64) -> BoxFuture<Result<u64, sqlx::Error>>,
}

/// Who takes the item away from the writer, and what the writer does meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// The owner transfers the item while also updating it.
    TransferVsUpdate,
    /// The owner transfers the item while also deleting it.
    TransferVsDelete,
    /// An administrator revokes the writer's ownership while the writer updates.
    RevokeVsUpdate,
    /// An administrator revokes the writer's ownership while the writer deletes.
    RevokeVsDelete,
}

impl Scenario {
    pub const ALL: [Self; 4] = [
        Self::TransferVsUpdate,
        Self::TransferVsDelete,
        Self::RevokeVsUpdate,
        Self::RevokeVsDelete,
    ];

    fn deletes(self) -> bool {
        matches!(self, Self::TransferVsDelete | Self::RevokeVsDelete)
    }

    fn name(self) -> &'static str {
        match self {
            Self::TransferVsUpdate => "transfer vs update",
            Self::TransferVsDelete => "transfer vs delete",
            Self::RevokeVsUpdate => "revoke vs update",
            Self::RevokeVsDelete => "revoke vs delete",
        }
    }
}

/// What one handler did over all trials of a scenario.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub trials: u32,
    /// The write happened while the writer owned the item.
    pub authorized: u32,
    /// The write did not happen.
    pub refused: u32,
    /// The write happened after the item had stopped being the writer's.
    pub violations: u32,
}

pub struct Report {
    scenario: Scenario,
    naive: Tally,
    guarded: Tally,
}

impl Report {
    pub fn print(backend: &str, reports: &[Self]) {
        println!("race suite on {backend}: trials | unauthorized writes (authorized / refused)");
        for r in reports {
            println!(
                "  {:<19} naive: {:>6} | {:>5} ({} / {})   guarded: {:>6} | {:>5} ({} / {})",
                r.scenario.name(),
                r.naive.trials,
                r.naive.violations,
                r.naive.authorized,
                r.naive.refused,
                r.guarded.trials,
                r.guarded.violations,
                r.guarded.authorized,
                r.guarded.refused,
            );
        }
    }

    /// The guarded handler never wrote without ownership; the naive one did, so the harness
    /// can see a violation; and the guarded writer both won and lost races, so they were real.
    pub fn assert_sound(&self) {
        let name = self.scenario.name();
        assert_eq!(
            self.guarded.violations, 0,
            "{name}: guarded handler wrote without ownership"
        );
        assert!(
            self.naive.violations > 0,
            "{name}: the naive baseline showed no violation; this harness cannot see one"
        );
        assert!(
            self.guarded.authorized > 0 && self.guarded.refused > 0,
            "{name}: the guarded writer must both win and lose some races: {:?}",
            self.guarded
        );
    }
}

/// Trials per scenario and handler: `GUARDED_RACE_TRIALS`, or 500.
pub fn trials() -> u32 {
    u32::try_from(guarded_testkit::race::trials(500)).expect("GUARDED_RACE_TRIALS fits a u32")
}

/// Trials in flight at once; each holds up to two connections.
const IN_FLIGHT: u32 = 4;

/// Runs `trials` trials of `scenario` with the naive handler, then the same schedule with the
/// guarded one. The item is taken away through a second pool, so nothing in-process (one
/// pool's queue, one connection) orders the two sides.
pub async fn run<DB: Backend>(
    pool: &Pool<DB>,
    handlers: &'static Handlers<DB>,
    scenario: Scenario,
    trials: u32,
) -> Report {
    let taker_pool = PoolOptions::<DB>::new()
        .max_connections(IN_FLIGHT * 2)
        .connect_with((*pool.connect_options()).clone())
        .await
        .expect("second pool");
    let mut report = Report {
        scenario,
        naive: Tally::default(),
        guarded: Tally::default(),
    };
    for guarded in [false, true] {
        let tally = if guarded {
            &mut report.guarded
        } else {
            &mut report.naive
        };
        let mut next = 0;
        while next < trials {
            let mut set = JoinSet::new();
            for trial in next..trials.min(next + IN_FLIGHT) {
                let (pool, taker_pool, handlers) = (pool.clone(), taker_pool.clone(), handlers);
                set.spawn(async move {
                    one_trial(&pool, &taker_pool, handlers, scenario, guarded, trial).await
                });
            }
            while let Some(verdict) = set.join_next().await {
                let verdict = verdict.expect("trial task");
                tally.trials += 1;
                match verdict {
                    Verdict::Authorized => tally.authorized += 1,
                    Verdict::Refused => tally.refused += 1,
                    Verdict::Violation => tally.violations += 1,
                }
            }
            next = trials.min(next + IN_FLIGHT);
        }
    }
    taker_pool.close().await;
    report
}

enum Verdict {
    Authorized,
    Refused,
    Violation,
}

async fn one_trial<DB: Backend>(
    pool: &Pool<DB>,
    taker_pool: &Pool<DB>,
    h: &Handlers<DB>,
    scenario: Scenario,
    guarded: bool,
    trial: u32,
) -> Verdict {
    let id = DB::seed(pool, "original", WRITER).await;
    // The same jitter for the naive and the guarded run of a trial: one schedule, two handlers.
    let (writer_delay, taker_delay) = jitter(trial);

    let writer = {
        let pool = pool.clone();
        let (naive_write, guarded_write) = if scenario.deletes() {
            (h.naive_delete, h.guarded_delete)
        } else {
            (h.naive_update, h.guarded_update)
        };
        tokio::spawn(async move {
            yields(writer_delay).await;
            if !guarded {
                naive_write(pool, WRITER, id).await.expect("naive write");
                return;
            }
            match guarded_write(Guard::trusted(pool, claims(WRITER)), id).await {
                Ok(()) | Err(guarded::Error::Denied(_)) => {}
                Err(e) => panic!("guarded write failed: {e}"),
            }
        })
    };
    let taker = {
        let taker_pool = taker_pool.clone();
        let (transfer, revoke) = (h.transfer, h.revoke);
        tokio::spawn(async move {
            yields(taker_delay).await;
            match scenario {
                Scenario::TransferVsUpdate | Scenario::TransferVsDelete => {
                    match transfer(Guard::trusted(taker_pool, claims(WRITER)), id, RECEIVER).await {
                        Ok(()) => true,
                        Err(guarded::Error::Denied(_)) => false,
                        Err(e) => panic!("transfer failed: {e}"),
                    }
                }
                Scenario::RevokeVsUpdate | Scenario::RevokeVsDelete => {
                    revoke(taker_pool, id).await.expect("revoke") == 1
                }
            }
        })
    };
    writer.await.expect("writer task");
    let changed_hands = taker.await.expect("taker task");

    if scenario.deletes() {
        match (DB::row(pool, id).await, changed_hands) {
            (Some(_), _) => Verdict::Refused,
            (None, false) => Verdict::Authorized,
            (None, true) => Verdict::Violation,
        }
    } else {
        match DB::written_under(pool, id).await.as_deref() {
            None => Verdict::Refused,
            Some(WRITER) => Verdict::Authorized,
            Some(_) => Verdict::Violation,
        }
    }
}

/// Start offsets of the two sides, in scheduler yields, from a fixed function of the trial
/// number: every interleaving gets tried, and the naive and guarded runs see the same ones.
fn jitter(trial: u32) -> (u32, u32) {
    let mut x = u64::from(trial).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 32;
    ((x % 16) as u32, ((x >> 8) % 16) as u32)
}

pub async fn yields(n: u32) {
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
}
