//! Races between a change of the facts a policy reads (a revocation, a role, a state) and a
//! write that depends on them, on every backend of the run, violations counted from rows. A write *starts after* the change
//! when it reads the change's "answered" flag as set before it sends its statement; such a
//! write must change no row. Each scenario runs a baseline first, the same handler written as
//! check-then-write, which must show violations: the test can see one.
//!
//! `GUARDED_RACE_TRIALS` sets the trials per scenario and backend (500 when unset), and
//! `GUARDED_RACE_PARALLEL` how many trials run at once (1 when unset). Trials share nothing
//! (each has its own token, rows and item), so running several at once keeps each one's race
//! as it is; a trial mostly waits on its pauses, which is what the scale run overlaps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::common::{backends, exec, fresh, guard, row};
use guarded_policies::{create, remove, rename, rename_if};
use guarded_testkit::race::{Way, jitter, parallel, trials};
use sqlx::{Any, AnyPool, AssertSqlSafe};

/// Trials per scenario and way when `GUARDED_RACE_TRIALS` is unset.
const TRIALS: usize = 500;

const NOW: u64 = 1_800_000_000;

async fn exists(pool: &AnyPool, sql: String) -> bool {
    sqlx::query_scalar::<Any, i64>(AssertSqlSafe(sql))
        .fetch_optional(pool)
        .await
        .expect("a check")
        .is_some()
}

/// Runs `sql` after a random pause; the flag is set once its answer came back.
fn change(pool: &AnyPool, sql: String) -> (tokio::task::JoinHandle<()>, Arc<AtomicBool>) {
    let answered = Arc::new(AtomicBool::new(false));
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

/// What a handler does between its check and its write (reading the body, say): the window
/// the baseline's check-then-write leaves open.
async fn handler_work() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// One trial of "logout vs create": the writer inserts rows titled `w<trial>-<n>` with the
/// token until the logout lands; returns how many rows were written by inserts that started
/// after the logout was answered.
async fn logout_trial(pool: &AnyPool, trial: usize, way: Way) -> usize {
    let jti = format!("t{trial}");
    let (logout, answered) = change(pool, format!("INSERT INTO revoked_tokens VALUES ('{jti}')"));
    let mut late = Vec::new();
    for n in 0..50 {
        let title = format!("w{trial}-{n}");
        if way == Way::Naive {
            // The denylist looked up first, as an extractor or middleware does.
            let revoked = exists(
                pool,
                format!("SELECT 1 FROM revoked_tokens WHERE jti = '{jti}'"),
            )
            .await;
            if revoked {
                break;
            }
            handler_work().await;
        }
        let after = answered.load(Ordering::SeqCst);
        let done = match way {
            Way::Guarded => create(guard(pool, "alice", &jti, NOW), &title)
                .await
                .is_ok(),
            Way::Naive => {
                exec(
                    pool,
                    &format!("INSERT INTO items (title, owner_id) VALUES ('{title}', 'alice')"),
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
    logout.await.expect("the logout");
    let mut violations = 0;
    for title in late {
        if exists(pool, format!("SELECT 1 FROM items WHERE title = '{title}'")).await {
            violations += 1;
        }
    }
    violations
}

/// One trial of "demotion vs an administrator's deletes": the admin deletes alice's items one
/// by one while the role is taken away; returns how many items were deleted by deletes that
/// started after the demotion was answered.
async fn demotion_trial(pool: &AnyPool, trial: usize, way: Way) -> usize {
    let admin = format!("admin{trial}");
    exec(
        pool,
        &format!("INSERT INTO users (id, role) VALUES ('{admin}', 'admin')"),
    )
    .await;
    // One statement for the trial's items: a commit per row would make the trial slow.
    let rows: Vec<String> = (0..8)
        .map(|n| format!("('d{trial}-{n}', 'alice')"))
        .collect();
    exec(
        pool,
        &format!(
            "INSERT INTO items (title, owner_id) VALUES {}",
            rows.join(", ")
        ),
    )
    .await;
    let ids = sqlx::query_scalar::<Any, i64>(AssertSqlSafe(format!(
        "SELECT id FROM items WHERE title LIKE 'd{trial}-%' ORDER BY id"
    )))
    .fetch_all(pool)
    .await
    .expect("the trial's items");
    let (demote, answered) = change(
        pool,
        format!("UPDATE users SET role = 'user' WHERE id = '{admin}'"),
    );
    let mut late = Vec::new();
    for id in ids {
        if way == Way::Naive {
            // The role read first, as a handler that loads the user does.
            let is_admin = exists(
                pool,
                format!("SELECT 1 FROM users WHERE id = '{admin}' AND role = 'admin'"),
            )
            .await;
            if !is_admin {
                break;
            }
            handler_work().await;
        }
        let after = answered.load(Ordering::SeqCst);
        let done = match way {
            Way::Guarded => remove(guard(pool, &admin, "a", NOW), id).await.is_ok(),
            Way::Naive => {
                exec(pool, &format!("DELETE FROM items WHERE id = {id}")).await;
                true
            }
        };
        if after {
            late.push(id);
        }
        if !done {
            break;
        }
    }
    demote.await.expect("the demotion");
    let mut violations = 0;
    for id in late {
        if row(pool, id).await.is_none() {
            violations += 1;
        }
    }
    violations
}

/// A change that takes a writer's right to rename an item away: what it runs, and what the
/// naive handler reads first to see whether it may still write.
struct Revocation {
    /// Who renames: the owner, or a grantee.
    writer: &'static str,
    /// Run once per item before the race (a share, say).
    setup: fn(i64) -> Option<String>,
    change: fn(i64) -> String,
    /// A query that finds a row while the writer may still rename.
    allowed: fn(i64) -> String,
}

/// Archiving refuses the owner's renames.
const ARCHIVE: Revocation = Revocation {
    writer: "alice",
    setup: |_| None,
    change: |id| format!("UPDATE items SET archived = TRUE WHERE id = {id}"),
    allowed: |id| format!("SELECT 1 FROM items WHERE id = {id} AND NOT archived"),
};

/// Deleting a share refuses the grantee's renames.
const UNSHARE: Revocation = Revocation {
    writer: "bob",
    setup: |id| Some(format!("INSERT INTO shares VALUES ({id}, 'bob', TRUE)")),
    change: |id| format!("DELETE FROM shares WHERE item_id = {id}"),
    allowed: |id| format!("SELECT 1 FROM shares WHERE item_id = {id} AND user_id = 'bob'"),
};

/// One trial of "a revocation vs renames": the writer renames the item over and over while
/// its right is taken away; returns 1 when the title the item ends with was written by a
/// rename that started after the change was answered.
async fn rename_trial(pool: &AnyPool, trial: usize, way: Way, what: &Revocation) -> usize {
    let id = crate::common::item(pool, &format!("a{trial}"), "alice").await;
    if let Some(setup) = (what.setup)(id) {
        exec(pool, &setup).await;
    }
    let (changing, answered) = change(pool, (what.change)(id));
    let mut late = Vec::new();
    for n in 0..50 {
        let title = format!("w{trial}-{n}");
        if way == Way::Naive {
            // The right read first, as a handler that loads the item or its ACL does.
            if !exists(pool, (what.allowed)(id)).await {
                break;
            }
            handler_work().await;
        }
        let after = answered.load(Ordering::SeqCst);
        let done = match way {
            Way::Guarded => rename(guard(pool, what.writer, "a", NOW), id, &title)
                .await
                .is_ok(),
            Way::Naive => {
                exec(
                    pool,
                    &format!("UPDATE items SET title = '{title}' WHERE id = {id}"),
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
    changing.await.expect("the change");
    let (title, _) = row(pool, id).await.expect("the item");
    usize::from(late.contains(&title))
}

/// One trial of "two writers, one version": both read the item at version 1 and write
/// with `If-Match: 1` at once; returns the writes beyond the first that the rows show (the
/// version column counts every write that landed).
async fn version_trial(pool: &AnyPool, trial: usize, way: Way) -> usize {
    let id = crate::common::item(pool, &format!("v{trial}"), "alice").await;
    let write = |n: usize| {
        let pool = pool.clone();
        tokio::spawn(async move {
            let title = format!("v{trial}-{n}");
            match way {
                Way::Guarded => {
                    let _ = rename_if(guard(&pool, "alice", "a", NOW), id, &title, 1).await;
                }
                Way::Naive => {
                    // The version compared in Rust, then the write by key.
                    let current = sqlx::query_scalar::<Any, i64>(AssertSqlSafe(format!(
                        "SELECT version FROM items WHERE id = {id}"
                    )))
                    .fetch_one(&pool)
                    .await
                    .expect("the version");
                    handler_work().await;
                    if current == 1 {
                        exec(
                            &pool,
                            &format!(
                                "UPDATE items SET title = '{title}', version = version + 1 \
                                 WHERE id = {id}"
                            ),
                        )
                        .await;
                    }
                }
            }
        })
    };
    let (a, b) = (write(0), write(1));
    a.await.expect("a writer");
    b.await.expect("a writer");
    let version = sqlx::query_scalar::<Any, i64>(AssertSqlSafe(format!(
        "SELECT version FROM items WHERE id = {id}"
    )))
    .fetch_one(pool)
    .await
    .expect("the version");
    usize::try_from(version - 2).unwrap_or(0)
}

/// Runs the trials of a scenario both ways on every backend: the baseline must show
/// violations, the guarded fn none.
async fn scenario<F, Fut>(name: &str, trial: F)
where
    F: Fn(AnyPool, usize, Way) -> Fut,
    Fut: Future<Output = usize> + Send + 'static,
{
    for backend in backends() {
        let pool = fresh(backend).await;
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
                running.spawn(trial(pool.clone(), t + i * 1_000_000, way));
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
            "{name} on {backend}: guarded writes after the change"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_write_that_starts_after_a_logout_was_answered_succeeds() {
    scenario("logout vs create", |pool, t, way| async move {
        logout_trial(&pool, t, way).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_delete_that_starts_after_a_demotion_was_answered_succeeds() {
    scenario("demotion vs delete", |pool, t, way| async move {
        demotion_trial(&pool, t, way).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_rename_that_starts_after_an_archive_was_answered_succeeds() {
    scenario("archive vs rename", |pool, t, way| async move {
        rename_trial(&pool, t, way, &ARCHIVE).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_grantee_write_that_starts_after_a_share_was_revoked_succeeds() {
    scenario(
        "share revoked vs grantee rename",
        |pool, t, way| async move { rename_trial(&pool, t, way, &UNSHARE).await },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writes_with_the_same_if_match_land_once() {
    scenario("version race", |pool, t, way| async move {
        version_trial(&pool, t, way).await
    })
    .await;
}
