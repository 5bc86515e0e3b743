//! A member's removal from her organisation (`DELETE FROM members`) raced against her writes
//! to its notes, on every backend of the run, violations counted from rows. A write *starts
//! after* the removal when it reads the removal's "answered" flag as set before it sends its
//! statement; such a write must change no row. Each scenario runs a baseline first, the same
//! handler written as check-then-write (membership read by one query, the write by key),
//! which must show violations: the test can see one.
//!
//! `GUARDED_RACE_TRIALS` sets the trials per scenario and backend (200 when unset: a second
//! on SQLite, and enough for MariaDB's baseline, whose violations run at a few percent of its
//! trials when the machine is busy, to show one), and `GUARDED_RACE_PARALLEL`
//! how many trials run at once (1 when unset). Trials share nothing: each has its own user,
//! membership and note.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::common::{backends, exec, fresh, guard, join, note, row};
use guarded_tenants::{create, retitle};
use guarded_testkit::race::{Way, jitter, parallel, trials};
use sqlx::{Any, AnyPool, AssertSqlSafe};

/// Trials per scenario and way when `GUARDED_RACE_TRIALS` is unset.
const TRIALS: usize = 200;

async fn exists(pool: &AnyPool, sql: String) -> bool {
    sqlx::query_scalar::<Any, i64>(AssertSqlSafe(sql))
        .fetch_optional(pool)
        .await
        .expect("a check")
        .is_some()
}

/// Removes `user` from acme after a random pause; the flag is set once its answer came back.
fn remove_member(pool: &AnyPool, user: &str) -> (tokio::task::JoinHandle<()>, Arc<AtomicBool>) {
    let answered = Arc::new(AtomicBool::new(false));
    let sql = format!("DELETE FROM members WHERE org_id = 'acme' AND user_id = '{user}'");
    let task = {
        let (pool, answered) = (pool.clone(), Arc::clone(&answered));
        tokio::spawn(async move {
            jitter(3000).await;
            exec(&pool, &sql).await;
            answered.store(true, Ordering::SeqCst);
        })
    };
    (task, answered)
}

/// The naive handler's check: whether `user` is a member of acme, as a middleware that
/// loads the membership does.
async fn still_member(pool: &AnyPool, user: &str) -> bool {
    exists(
        pool,
        format!("SELECT 1 FROM members WHERE org_id = 'acme' AND user_id = '{user}'"),
    )
    .await
}

/// What a handler does between its check and its write (reading the body, say): the window
/// the baseline's check-then-write leaves open.
async fn handler_work() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// One trial of "removal vs retitle": the member retitles her note over and over while she
/// is removed from its organisation; returns 1 when the title the note ends with was written
/// by an update that started after the removal was answered.
async fn retitle_trial(pool: &AnyPool, trial: usize, way: Way) -> usize {
    let user = format!("u{trial}");
    join(pool, "acme", &user, "member").await;
    let id = note(pool, "acme", &user, &format!("n{trial}")).await;
    let (removal, answered) = remove_member(pool, &user);
    let mut late = Vec::new();
    for n in 0..50 {
        let title = format!("w{trial}-{n}");
        if way == Way::Naive {
            if !still_member(pool, &user).await {
                break;
            }
            handler_work().await;
        }
        let after = answered.load(Ordering::SeqCst);
        let done = match way {
            Way::Guarded => retitle(guard(pool, &user, "acme"), id, &title)
                .await
                .is_ok(),
            Way::Naive => {
                exec(
                    pool,
                    &format!("UPDATE notes SET title = '{title}' WHERE id = {id}"),
                )
                .await;
                true
            }
        };
        if after {
            late.push(title);
        }
        if !done {
            break;
        }
    }
    removal.await.expect("the removal");
    let (_, _, title, _) = row(pool, id).await.expect("the note");
    usize::from(late.contains(&title))
}

/// One trial of "removal vs create": the member writes notes titled `c<trial>-<n>` until she
/// is removed; returns how many notes were made by inserts that started after the removal was
/// answered.
async fn create_trial(pool: &AnyPool, trial: usize, way: Way) -> usize {
    let user = format!("u{trial}");
    join(pool, "acme", &user, "member").await;
    let (removal, answered) = remove_member(pool, &user);
    let mut late = Vec::new();
    for n in 0..50 {
        let title = format!("c{trial}-{n}");
        if way == Way::Naive {
            if !still_member(pool, &user).await {
                break;
            }
            handler_work().await;
        }
        let after = answered.load(Ordering::SeqCst);
        let done = match way {
            Way::Guarded => create(guard(pool, &user, "acme"), &title).await.is_ok(),
            Way::Naive => {
                exec(
                    pool,
                    &format!(
                        "INSERT INTO notes (org_id, owner_id, title) \
                         VALUES ('acme', '{user}', '{title}')"
                    ),
                )
                .await;
                true
            }
        };
        if after {
            late.push(title);
        }
        if !done {
            break;
        }
    }
    removal.await.expect("the removal");
    let mut violations = 0;
    for title in late {
        if exists(pool, format!("SELECT 1 FROM notes WHERE title = '{title}'")).await {
            violations += 1;
        }
    }
    violations
}

/// Runs the trials of a scenario both ways on every backend: the baseline must show
/// violations, the guarded fn none.
async fn scenario<F, Fut>(name: &str, trial: F)
where
    F: Fn(AnyPool, usize, Way) -> Fut,
    Fut: Future<Output = usize> + Send + 'static,
{
    for backend in backends() {
        let db = fresh(backend).await;
        let mut found = [0, 0];
        for (i, way) in [Way::Naive, Way::Guarded].into_iter().enumerate() {
            let mut running = tokio::task::JoinSet::new();
            for t in 0..trials(TRIALS) {
                if running.len() == parallel() {
                    found[i] += running
                        .join_next()
                        .await
                        .expect("a trial")
                        .expect("a trial");
                }
                running.spawn(trial(db.pool.clone(), t + i * 1_000_000, way));
            }
            while let Some(violations) = running.join_next().await {
                found[i] += violations.expect("a trial");
            }
        }
        eprintln!(
            "{name} on {backend}: {} trials; violations: naive {}, guarded {}",
            trials(TRIALS),
            found[0],
            found[1]
        );
        assert!(
            found[0] > 0,
            "{name} on {backend}: the naive baseline showed no violation, so this test could \
             not see one; raise GUARDED_RACE_TRIALS"
        );
        assert_eq!(
            found[1], 0,
            "{name} on {backend}: guarded writes after the removal"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_update_that_starts_after_a_member_was_removed_succeeds() {
    scenario("removal vs retitle", |pool, t, way| async move {
        retitle_trial(&pool, t, way).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_insert_that_starts_after_a_member_was_removed_succeeds() {
    scenario("removal vs create", |pool, t, way| async move {
        create_trial(&pool, t, way).await
    })
    .await;
}
