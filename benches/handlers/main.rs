//! What a guarded handler costs next to the alternatives, as ratios from one run.
//!
//! ```sh
//! cargo bench --bench handlers                    # SQLite
//! GUARDED_TEST_PG=postgres://... cargo bench --bench handlers   # and PostgreSQL
//! GUARDED_TEST_PG=postgres://... cargo bench --bench handlers -- postgres-link
//! ```
//!
//! Every alternative updates one item by id for the same subject, in the dialect of the
//! backend; throughput is measured with 1 task, 32 tasks each on its own row and 32 tasks on
//! one row, in interleaved rounds
//! (see `timing.rs`), and each ratio is the median over rounds. Nothing here asserts a time:
//! the goals are printed next to the ratios. `GUARDED_BENCH_ROUNDS` and `GUARDED_BENCH_MS`
//! change the number of rounds and the slice per alternative; arguments select sections
//! (`sqlite`, `postgres`, `postgres-nosync`, `postgres-link`, and the policy's: `policy-sqlite`,
//! `policy-postgres`, `policy-growth`, see `policy.rs`; all by default; a section runs if its
//! name contains an argument, so `postgres` runs all four of PostgreSQL). Run without `--bench` (as
//! `cargo test --benches` does) it is a one-round smoke test.
//!
//! `postgres-link` is `postgres` with the database one network hop away: its pools connect
//! through an in-process proxy (`link.rs`) that delays every chunk by `GUARDED_BENCH_LINK_US`
//! each way (100 µs by default, a round trip of 0.2 ms inside one datacenter). On loopback a
//! round trip is nearly free, so the other PostgreSQL sections measure the CPU each
//! alternative costs on a machine that client and server share; the goals are about round
//! trips, which a deployment pays over a network. The section prints the round trip the link
//! really adds (a `SELECT 1`, through it and direct), which exceeds the configured delay by
//! the proxy's thread wake-ups; the proxy's CPU is spent on the same cores as the rest.
//! `GUARDED_BENCH_ACQUIRE_PING=0` builds every PostgreSQL pool without sqlx's ping on acquire
//! (one round trip per call that every alternative pays alike).
//!
//! The harness is shared: the rounds (`timing.rs`), the alternatives' construction ([`on`]),
//! the ratio table with its goals and the machine's load ([`report`]), the statistics and the
//! fresh databases (`guarded-testkit`), and the hand-written alternatives, generic over the
//! database (`hand.rs`). What one writes differently on each backend (`?` or `$n`, `BEGIN
//! IMMEDIATE` or `FOR UPDATE`) is its `hand::Dialect`, in `sqlite.rs` and `postgres.rs` with
//! the guarded fns and what only PostgreSQL has (row-level security).

mod hand;
mod link;
mod policy;
mod postgres;
mod sqlite;
mod timing;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use guarded_testkit::bench;
use timing::{Alt, BoxFuture, Load, Plan, Samples};

/// The subject every alternative acts for; it owns every item.
pub(crate) const SUBJECT: &str = "alice";
/// The title every update writes.
pub(crate) const TITLE: &str = "benchmarked";
/// Items seeded, one per task, so concurrent tasks need not wait on each other's row.
pub(crate) const ITEMS: i64 = 32;
/// One task; 32 tasks on rows of their own (round trips and server work); 32 tasks on one
/// row (how long each alternative holds its row lock).
const LOADS: &[Load] = &[
    Load {
        tasks: 1,
        one_row: false,
    },
    Load {
        tasks: 32,
        one_row: false,
    },
    Load {
        tasks: 32,
        one_row: true,
    },
];

/// Keys of the alternatives, shared by both backends and the ratio rows.
pub(crate) mod keys {
    pub(crate) const GUARDED: &str = "guarded";
    pub(crate) const HAND: &str = "hand";
    pub(crate) const HAND_TX: &str = "hand_tx";
    pub(crate) const CHECK_THEN_ACT: &str = "check_then_act";
    pub(crate) const LOCK: &str = "lock";
    pub(crate) const RLS: &str = "rls";
    pub(crate) const GUARDED3: &str = "guarded3";
    pub(crate) const HAND3: &str = "hand3";
    pub(crate) const POLICY: &str = "policy";
    pub(crate) const POLICY_HAND: &str = "policy_hand";
    pub(crate) const POLICY_LOCK: &str = "policy_lock";
    pub(crate) const POLICY_SMALL: &str = "policy_small";
    pub(crate) const POLICY_LARGE: &str = "policy_large";
}

/// One row of the ratio table: `num / den`, and the goals the issues set for it.
struct Ratio {
    num: &'static str,
    den: &'static str,
    label: &'static str,
    /// Each goal: a minimum, and the concurrency it applies to (`None`: every concurrency).
    goals: &'static [(f64, Option<usize>)],
}

const RATIOS: &[Ratio] = &[
    Ratio {
        num: keys::GUARDED,
        den: keys::HAND,
        label: "guarded / hand-written",
        goals: &[(0.97, None)],
    },
    Ratio {
        num: keys::GUARDED,
        den: keys::HAND_TX,
        label: "guarded / same in BEGIN..COMMIT",
        goals: &[],
    },
    Ratio {
        num: keys::GUARDED,
        den: keys::CHECK_THEN_ACT,
        label: "guarded / check-then-act",
        goals: &[],
    },
    Ratio {
        num: keys::GUARDED,
        den: keys::LOCK,
        label: "guarded / FOR UPDATE",
        goals: &[(2.0, Some(32))],
    },
    Ratio {
        num: keys::GUARDED,
        den: keys::RLS,
        label: "guarded / RLS-style",
        goals: &[(2.0, None)],
    },
    Ratio {
        num: keys::GUARDED3,
        den: keys::HAND3,
        label: "guarded 3 stmts / hand-written tx",
        goals: &[(0.97, None)],
    },
    Ratio {
        num: keys::POLICY,
        den: keys::POLICY_HAND,
        label: "policy: guarded / hand-written",
        goals: &[(0.98, Some(1)), (0.97, Some(32))],
    },
    Ratio {
        num: keys::POLICY,
        den: keys::POLICY_LOCK,
        label: "policy: guarded / checks, FOR UPDATE",
        goals: &[(2.0, Some(32))],
    },
    Ratio {
        num: keys::POLICY_LARGE,
        den: keys::POLICY_SMALL,
        label: "policy: 10^6 rows / 10^3 rows",
        goals: &[],
    },
];

/// The claims of [`SUBJECT`], as a verified token would carry them.
pub(crate) fn claims() -> guarded::Claims {
    serde_json::from_value(serde_json::json!({ "sub": SUBJECT, "exp": u64::MAX / 2 }))
        .expect("claims")
}

/// An alternative from an async fn; an error or a denial panics (the benchmark is wrong).
pub(crate) fn alt<F, Fut>(key: &'static str, label: &'static str, f: F) -> Alt
where
    F: Fn(i64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), guarded::Error>> + Send + 'static,
{
    Alt {
        key,
        label,
        call: Box::new(move |id| -> BoxFuture {
            let fut = f(id);
            Box::pin(async move {
                if let Err(e) = fut.await {
                    panic!("{key}: {e:?}");
                }
            })
        }),
    }
}

/// An alternative calling `f` with a clone of `on` (a pool or a guard, clones of one handle)
/// and the item, as handlers share an application's pool.
pub(crate) fn on<T, F, Fut>(key: &'static str, label: &'static str, on: &T, f: F) -> Alt
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T, i64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), guarded::Error>> + Send + 'static,
{
    let on = on.clone();
    alt(key, label, move |id| f(on.clone(), id))
}

fn plan() -> Plan {
    let (rounds, ms) = if bench::full() { (15, 200) } else { (1, 20) };
    Plan {
        rounds: usize::try_from(bench::var("GUARDED_BENCH_ROUNDS", rounds)).expect("rounds"),
        slice: Duration::from_millis(bench::var("GUARDED_BENCH_MS", ms)),
        loads: LOADS,
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let plan = plan();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "guarded handler benchmark: {cores} cores, {profile} profile, {} rounds x {} ms \
         per alternative, interleaved; ratios are medians of per-round ratios [min..max]",
        plan.rounds,
        plan.slice.as_millis()
    );

    let wanted = |name: &str| {
        let filters: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with("--"))
            .collect();
        filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
    };

    if wanted("sqlite") {
        let (version, alts, database) = sqlite::setup(sqlite::CONNECTIONS).await;
        let alts = Arc::new(alts);
        let load = bench::load_average();
        let samples = timing::run(&alts, &items(), plan).await;
        let title = format!("sqlite: SQLite {version} (bundled), WAL, synchronous = NORMAL");
        report(&title, &load, &alts, &samples, plan);
        sqlite::teardown(alts, database).await;
    }

    let url = std::env::var("GUARDED_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty());

    policy_sections(&wanted, url.as_deref(), plan).await;
    let durable = "synchronous_commit = on (default)";
    for (name, sync, linked, what) in [
        ("postgres", true, false, durable),
        ("postgres-nosync", false, false, "synchronous_commit = off"),
        ("postgres-link", true, true, durable),
    ] {
        if !wanted(name) {
            continue;
        }
        let Some(url) = &url else {
            println!("\n{name}: GUARDED_TEST_PG is unset, skipped");
            continue;
        };
        let mut note = String::new();
        let link = if linked {
            let Some(upstream) = postgres::upstream(url) else {
                println!("\n{name}: GUARDED_TEST_PG names no TCP host and port, skipped");
                continue;
            };
            let one_way = link_delay();
            let link = link::Link::start(upstream, one_way);
            let direct = postgres::round_trip(url, None).await;
            let through = postgres::round_trip(url, Some(link.addr)).await;
            let _ = write!(
                note,
                ", pools through a link of {} µs each way\n  SELECT 1 on one connection \
                 (median of 200): {} µs through the link, {} µs direct; the link adds {} µs \
                 per round trip",
                one_way.as_micros(),
                through.as_micros(),
                direct.as_micros(),
                through.saturating_sub(direct).as_micros(),
            );
            Some(link)
        } else {
            None
        };
        let db = postgres::Db::create(url, sync, link.as_ref().map(|l| l.addr)).await;
        let alts = Arc::new(db.alts());
        let load = bench::load_average();
        let samples = timing::run(&alts, &items(), plan).await;
        let ping = if postgres::acquire_ping() {
            ""
        } else {
            ", pools without the ping on acquire"
        };
        let title = format!("{name}: PostgreSQL {}, {what}{ping}{note}", db.version);
        report(&title, &load, &alts, &samples, plan);
        drop(alts);
        db.drop_all().await;
        // After the pools have closed their connections through it.
        drop(link);
    }
}

/// The policy's sections (`policy.rs`): its statement against the same by hand and against
/// separate checks, on SQLite and PostgreSQL; and as the tables its conditions read grow.
async fn policy_sections(wanted: &dyn Fn(&str) -> bool, url: Option<&str>, plan: Plan) {
    for (name, backend) in [("policy-sqlite", "sqlite"), ("policy-postgres", "postgres")] {
        if !wanted(name) {
            continue;
        }
        if backend == "postgres" && url.is_none() {
            println!("\n{name}: GUARDED_TEST_PG is unset, skipped");
            continue;
        }
        let db = policy::Db::create(backend, 1_000).await;
        let alts = Arc::new(db.alts());
        let load = bench::load_average();
        let samples = timing::run(&alts, &items(), plan).await;
        let title = format!(
            "{name}: owner-or-share and revocation in the statement (tests/policies), 10^3 \
             other shares and revoked tokens"
        );
        report(&title, &load, &alts, &samples, plan);
        drop(alts);
        db.drop_all().await;
    }
    if wanted("policy-growth") {
        let small = policy::Db::create("sqlite", 1_000).await;
        let large = policy::Db::create("sqlite", 1_000_000).await;
        let alts = Arc::new(vec![
            small.guarded(keys::POLICY_SMALL, "policy, 10^3 shares and revoked tokens"),
            large.guarded(keys::POLICY_LARGE, "policy, 10^6 shares and revoked tokens"),
        ]);
        let load = bench::load_average();
        let samples = timing::run(&alts, &items(), plan).await;
        report(
            "policy-growth: SQLite, the guarded fn as the tables grow",
            &load,
            &alts,
            &samples,
            plan,
        );
        drop(alts);
        small.drop_all().await;
        large.drop_all().await;
    }
}

/// One-way delay of the `postgres-link` section: `GUARDED_BENCH_LINK_US`, 100 µs by default
/// (a round trip of 0.2 ms, a hop inside one datacenter).
fn link_delay() -> Duration {
    let us = std::env::var("GUARDED_BENCH_LINK_US")
        .ok()
        .map_or(100, |v| {
            v.parse().expect("GUARDED_BENCH_LINK_US is a number of µs")
        });
    Duration::from_micros(us)
}

fn items() -> Vec<i64> {
    (1..=ITEMS).collect()
}

/// The section's table; `load` is the load average when it started, printed beside the one
/// at its end.
fn report(backend: &str, load: &str, alts: &[Alt], samples: &Samples, plan: Plan) {
    let levels = plan.loads;
    let mut out = format!(
        "\n{backend}\n  load average before / after: {load} / {}\n  {:<42}",
        bench::load_average(),
        "calls/s (median)"
    );
    let mut head = String::new();
    for load in levels {
        let _ = write!(head, "{:>22}", load.label());
    }
    let _ = writeln!(out, "{head}");
    for (i, alt) in alts.iter().enumerate() {
        let _ = write!(out, "  {:<42}", alt.label);
        for l in 0..levels.len() {
            let _ = write!(out, "{:>22.0}", samples.median(l, i));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "  {:<42}{head}   goal", "ratio (median [min..max])");
    let index = |key: &str| alts.iter().position(|a| a.key == key);
    for ratio in RATIOS.iter().filter(|r| index(r.num).is_some()) {
        let _ = write!(out, "  {:<42}", ratio.label);
        let (Some(num), Some(den)) = (index(ratio.num), index(ratio.den)) else {
            let _ = writeln!(out, "{:>22}", "n/a");
            continue;
        };
        let mut missed = false;
        for (l, load) in levels.iter().enumerate() {
            let (med, lo, hi) = samples.ratio(l, num, den);
            missed |= ratio
                .goals
                .iter()
                .any(|(min, at)| at.is_none_or(|at| at == load.tasks) && med < *min);
            let _ = write!(out, "{:>22}", format!("{med:.2} [{lo:.2}..{hi:.2}]"));
        }
        let goals: Vec<String> = ratio
            .goals
            .iter()
            .map(|(min, at)| match at {
                None => format!(">= {min}"),
                Some(at) => format!(">= {min} at {at}"),
            })
            .collect();
        if !goals.is_empty() {
            let verdict = if missed { " MISSED" } else { "" };
            let _ = write!(out, "   {}{verdict}", goals.join(", "));
        }
        out.push('\n');
    }
    print!("{out}");
}
