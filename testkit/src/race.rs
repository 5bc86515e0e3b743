//! What the race suites share: how many trials, how many at once, and the random pause that
//! lets either side of a trial land first. Each suite runs its scenarios first with a naive
//! handler, which must show violations (so the test can see one), then with the guarded fn,
//! which must show none.

use std::hash::{BuildHasher as _, Hasher as _};
use std::time::Duration;

/// How a trial's write is made.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Way {
    /// Check in Rust, then write: the baseline, which must show violations.
    Naive,
    /// The guarded fn, which must show none.
    Guarded,
}

/// Trials per scenario and way: `GUARDED_RACE_TRIALS`, or `default` when it is unset.
pub fn trials(default: usize) -> usize {
    count("GUARDED_RACE_TRIALS", default)
}

/// Trials in flight at once: `GUARDED_RACE_PARALLEL`, or one when it is unset.
pub fn parallel() -> usize {
    count("GUARDED_RACE_PARALLEL", 1).max(1)
}

fn count(var: &str, default: usize) -> usize {
    std::env::var(var).map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{var} is a number, not {v:?}"))
    })
}

/// A random pause of up to `micros`. Each call draws afresh (`RandomState` is seeded per
/// call), so two sides of a trial that each take one land in either order whatever one
/// request costs on the machine.
pub async fn jitter(micros: u64) {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    tokio::time::sleep(Duration::from_micros(random % micros)).await;
}
