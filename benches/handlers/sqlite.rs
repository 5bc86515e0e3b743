//! The alternatives on SQLite (bundled), on a WAL file database.
//!
//! SQLite has no `SELECT ... FOR UPDATE` and no row-level security: the closest analogue of
//! lock-then-write is `BEGIN IMMEDIATE` (the database's write lock) + SELECT + UPDATE +
//! COMMIT, and the RLS-style row is left out.

use std::sync::Arc;
use std::time::Duration;

use guarded::{Deny, Guard, guarded};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Executor, Sqlite, SqlitePool};

use crate::timing::Alt;
use crate::{ITEMS, SUBJECT, TITLE, alt, claims, keys};

/// Connections in the pool: writers take turns on SQLite's one write lock anyway; more
/// connections only add waiting on the busy timeout.
pub(crate) const CONNECTIONS: u32 = 8;

/// The pool: WAL with `synchronous = NORMAL` (the usual production setting; no fsync per
/// commit, so the disk of a shared machine does not decide the numbers), one writer at a time
/// waits on the busy timeout.
async fn pool(connections: u32) -> (SqlitePool, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("guarded_bench_{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30));
    let pool = SqlitePoolOptions::new()
        .max_connections(connections)
        .connect_with(options)
        .await
        .expect("open the benchmark database");
    for statement in include_str!("../../tests/schema.sql").split(';') {
        if !statement.trim().is_empty() {
            pool.execute(statement).await.expect("schema");
        }
    }
    for i in 1..=ITEMS {
        sqlx::query("INSERT INTO items (id, title, owner_id) VALUES (?, 'seed', ?)")
            .bind(i)
            .bind(SUBJECT)
            .execute(&pool)
            .await
            .expect("seed");
    }
    (pool, path)
}

/// The SQLite version and the alternatives; the returned path is removed by the caller.
pub(crate) async fn setup(connections: u32) -> (String, Vec<Alt>, std::path::PathBuf) {
    let (pool, path) = pool(connections).await;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&pool)
        .await
        .expect("version");
    let guard = Guard::<Sqlite>::trusted(pool.clone(), claims());
    let alts = vec![
        {
            let guard = guard.clone();
            alt(keys::GUARDED, "guarded fn", move |id| {
                let guard = guard.clone();
                async move { rename(guard, id, TITLE).await }
            })
        },
        {
            let pool = pool.clone();
            alt(keys::HAND, "hand-written statement", move |id| {
                let pool = pool.clone();
                async move { rename_by_hand(&pool, SUBJECT, id, TITLE).await }
            })
        },
        {
            let pool = pool.clone();
            alt(
                keys::HAND_TX,
                "hand-written statement in BEGIN/COMMIT",
                move |id| {
                    let pool = pool.clone();
                    async move { rename_by_hand_in_tx(&pool, SUBJECT, id, TITLE).await }
                },
            )
        },
        {
            let pool = pool.clone();
            alt(
                keys::CHECK_THEN_ACT,
                "check-then-act, no transaction",
                move |id| {
                    let pool = pool.clone();
                    async move { rename_check_then_act(&pool, SUBJECT, id, TITLE).await }
                },
            )
        },
        {
            let pool = pool.clone();
            alt(keys::LOCK, "BEGIN IMMEDIATE + SELECT + UPDATE", move |id| {
                let pool = pool.clone();
                async move { rename_locked(&pool, SUBJECT, id, TITLE).await }
            })
        },
        {
            let guard = guard.clone();
            alt(keys::GUARDED3, "guarded fn, 3 statements", move |id| {
                let guard = guard.clone();
                async move { retitle_logged(guard, id, TITLE).await }
            })
        },
        {
            let pool = pool.clone();
            alt(
                keys::HAND3,
                "hand-written transaction, 3 statements",
                move |id| {
                    let pool = pool.clone();
                    async move { retitle_logged_by_hand(&pool, SUBJECT, id, TITLE).await }
                },
            )
        },
    ];
    (version, alts, path)
}

/// Dropping the pool first lets SQLite remove its WAL files.
pub(crate) async fn teardown(alts: Arc<Vec<Alt>>, path: std::path::PathBuf) {
    drop(alts);
    tokio::time::sleep(Duration::from_millis(50)).await;
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

#[guarded(owner = "items.owner_id")]
async fn rename(mut guard: Guard<Sqlite>, id: i64, title: &str) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(title)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// What `rename` runs, written by hand: the limit, one round trip.
async fn rename_by_hand(
    pool: &SqlitePool,
    who: &str,
    id: i64,
    title: &str,
) -> Result<(), guarded::Error> {
    let done = sqlx::query("UPDATE items SET title = ? WHERE (id = ?) AND items.owner_id = ?")
        .bind(title)
        .bind(id)
        .bind(who)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(guarded::Error::Denied(Deny::NotFound));
    }
    Ok(())
}

/// The same statement wrapped in a transaction: what a single-statement body would cost if
/// the guard opened one.
async fn rename_by_hand_in_tx(
    pool: &SqlitePool,
    who: &str,
    id: i64,
    title: &str,
) -> Result<(), guarded::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let done = sqlx::query("UPDATE items SET title = ? WHERE (id = ?) AND items.owner_id = ?")
        .bind(title)
        .bind(id)
        .bind(who)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(guarded::Error::Denied(Deny::NotFound));
    }
    tx.commit().await?;
    Ok(())
}

/// The bug `guarded` exists for, timed: the owner read first, the write by key afterwards.
async fn rename_check_then_act(
    pool: &SqlitePool,
    who: &str,
    id: i64,
    title: &str,
) -> Result<(), guarded::Error> {
    let owner: Option<String> = sqlx::query_scalar("SELECT owner_id FROM items WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    if owner.as_deref() != Some(who) {
        return Err(guarded::Error::Denied(Deny::NotFound));
    }
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(title)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Check-then-act made safe by locking: SQLite's closest analogue of `SELECT ... FOR UPDATE`.
async fn rename_locked(
    pool: &SqlitePool,
    who: &str,
    id: i64,
    title: &str,
) -> Result<(), guarded::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let owner: Option<String> = sqlx::query_scalar("SELECT owner_id FROM items WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    if owner.as_deref() != Some(who) {
        return Err(guarded::Error::Denied(Deny::NotFound));
    }
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(title)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Three statements: read the old title, write the new one, log the old one.
#[guarded(owner = "items.owner_id", unguarded = "audit")]
async fn retitle_logged(
    mut guard: Guard<Sqlite>,
    id: i64,
    title: &str,
) -> Result<(), guarded::Error> {
    let old: String = sqlx::query_scalar("SELECT title FROM items WHERE id = ?")
        .bind(id)
        .fetch_one(&mut guard)
        .await?;
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(title)
        .bind(id)
        .execute(&mut guard)
        .await?;
    sqlx::query("INSERT INTO audit (item_id, note) VALUES (?, ?)")
        .bind(id)
        .bind(old)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// What `retitle_logged` runs, written by hand.
async fn retitle_logged_by_hand(
    pool: &SqlitePool,
    who: &str,
    id: i64,
    title: &str,
) -> Result<(), guarded::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let old: Option<String> =
        sqlx::query_scalar("SELECT title FROM items WHERE (id = ?) AND items.owner_id = ?")
            .bind(id)
            .bind(who)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(old) = old else {
        return Err(guarded::Error::Denied(Deny::NotFound));
    };
    let done = sqlx::query("UPDATE items SET title = ? WHERE (id = ?) AND items.owner_id = ?")
        .bind(title)
        .bind(id)
        .bind(who)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(guarded::Error::Denied(Deny::NotFound));
    }
    sqlx::query("INSERT INTO audit (item_id, note) VALUES (?, ?)")
        .bind(id)
        .bind(old)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
