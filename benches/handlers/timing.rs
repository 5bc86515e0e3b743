//! Throughput of alternatives measured in interleaved rounds, so drift on a shared machine
//! (another build starting, the database checkpointing) touches every alternative alike.
//!
//! One round measures every alternative once, each for the same time slice, in an order
//! that changes from round to round; with one task the alternatives' calls alternate one by
//! one over the round instead. A ratio is taken inside each round (both sides measured at
//! most seconds apart) and the median over rounds is reported.

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use guarded_testkit::bench::{median, spread};
use tokio::task::JoinSet;

/// One call of an alternative, on the item it is given.
pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A way to do the same work, called over and over by concurrent tasks.
pub(crate) struct Alt {
    /// Stable key the ratio rows refer to.
    pub(crate) key: &'static str,
    /// Shown in the throughput table.
    pub(crate) label: &'static str,
    /// One call; panics on an error or a denial (either means the benchmark is wrong).
    pub(crate) call: Box<dyn Fn(i64) -> BoxFuture + Send + Sync>,
}

/// How long and how often to measure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) rounds: usize,
    pub(crate) slice: Duration,
    pub(crate) loads: &'static [Load],
}

/// How many tasks call at once, and on which rows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    pub(crate) tasks: usize,
    /// Every task works on the same item (its row lock is contended), instead of each task
    /// on its own.
    pub(crate) one_row: bool,
}

impl Load {
    /// Column heading.
    pub(crate) fn label(self) -> String {
        match (self.tasks, self.one_row) {
            (1, _) => "1 task".to_owned(),
            (n, false) => format!("{n} tasks"),
            (n, true) => format!("{n} tasks, 1 row"),
        }
    }
}

/// Calls per second of each alternative at each concurrency, one entry per round.
pub(crate) struct Samples {
    /// `[load][alternative][round]`.
    tput: Vec<Vec<Vec<f64>>>,
}

impl Samples {
    /// Median calls per second.
    pub(crate) fn median(&self, level: usize, alt: usize) -> f64 {
        median(self.tput[level][alt].clone())
    }

    /// Median, minimum and maximum over rounds of `num / den` measured in the same round.
    pub(crate) fn ratio(&self, level: usize, num: usize, den: usize) -> (f64, f64, f64) {
        let per_round: Vec<f64> = self.tput[level][num]
            .iter()
            .zip(&self.tput[level][den])
            .map(|(n, d)| n / d)
            .collect();
        spread(per_round)
    }
}

/// Runs the plan; `items[t]` is the item task `t` works on, unless the load puts every task
/// on `items[0]`.
pub(crate) async fn run(alts: &Arc<Vec<Alt>>, items: &[i64], plan: Plan) -> Samples {
    // Warm-up: opens every pool connection and prepares every statement on it.
    for load in plan.loads {
        for alt in 0..alts.len() {
            throughput(alts, alt, *load, items, plan.slice / 4).await;
        }
    }
    let mut tput = vec![vec![Vec::with_capacity(plan.rounds); alts.len()]; plan.loads.len()];
    for round in 0..plan.rounds {
        for (level, load) in plan.loads.iter().enumerate() {
            if load.tasks == 1 {
                let slice = plan.slice * u32::try_from(alts.len()).expect("a few alternatives");
                for (alt, t) in alternated(alts, items[0], round, slice)
                    .await
                    .into_iter()
                    .enumerate()
                {
                    tput[level][alt].push(t);
                }
                continue;
            }
            for k in 0..alts.len() {
                // Rotated each round and reversed every other round, so each alternative
                // runs both before and after each other one, as often as the rounds allow.
                let k = if round % 2 == 0 {
                    k
                } else {
                    alts.len() - 1 - k
                };
                let alt = (k + round / 2) % alts.len();
                let t = throughput(alts, alt, *load, items, plan.slice).await;
                tput[level][alt].push(t);
            }
        }
    }
    Samples { tput }
}

/// Calls per second of each alternative with one task, its calls alternated one by one over
/// `slice`: a pause of the machine or a checkpoint of the database lands on every alternative
/// alike, which slices of their own cannot ensure when a call takes tens of microseconds.
/// Each pass over the alternatives takes them in a new order (seeded by the round), so none
/// always follows the same other one: what a call leaves behind (a connection still being
/// returned to the pool, a checkpoint it triggered) falls on every alternative in turn.
async fn alternated(alts: &Arc<Vec<Alt>>, id: i64, round: usize, slice: Duration) -> Vec<f64> {
    let mut spent = vec![Duration::ZERO; alts.len()];
    let mut calls = vec![0_u32; alts.len()];
    let mut order: Vec<usize> = (0..alts.len()).collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64 ^ (round as u64 + 1);
    let deadline = Instant::now() + slice;
    while Instant::now() < deadline {
        shuffle(&mut order, &mut seed);
        for &alt in &order {
            let start = Instant::now();
            (alts[alt].call)(id).await;
            spent[alt] += start.elapsed();
            calls[alt] += 1;
        }
    }
    calls
        .iter()
        .zip(&spent)
        .map(|(n, t)| f64::from(*n) / t.as_secs_f64())
        .collect()
}

/// Fisher-Yates with xorshift64: the order of one pass, without a dependency for it.
fn shuffle(order: &mut [usize], seed: &mut u64) {
    for i in (1..order.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        let j = usize::try_from(*seed % (i as u64 + 1)).expect("an index");
        order.swap(i, j);
    }
}

/// Calls per second of `tasks` concurrent loops of one alternative over one slice.
async fn throughput(
    alts: &Arc<Vec<Alt>>,
    alt: usize,
    load: Load,
    items: &[i64],
    slice: Duration,
) -> f64 {
    let start = Instant::now();
    let deadline = start + slice;
    let mut set = JoinSet::new();
    for task in 0..load.tasks {
        let alts = Arc::clone(alts);
        let id = if load.one_row {
            items[0]
        } else {
            items[task % items.len()]
        };
        set.spawn(async move {
            let mut calls = 0_u32;
            while Instant::now() < deadline {
                (alts[alt].call)(id).await;
                calls += 1;
            }
            calls
        });
    }
    let mut calls = 0_u32;
    while let Some(n) = set.join_next().await {
        calls += n.expect("a benchmark call panicked");
    }
    // Until the last task's last call returned: the overshoot is counted, not hidden.
    f64::from(calls) / start.elapsed().as_secs_f64()
}
