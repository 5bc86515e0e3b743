//! The alternatives on SQLite (bundled), on a WAL file database.
//!
//! SQLite has no `SELECT ... FOR UPDATE` and no row-level security: the closest analogue of
//! lock-then-write is `BEGIN IMMEDIATE` (the database's write lock) + SELECT + UPDATE +
//! COMMIT, and the RLS-style row is left out.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use guarded::{Guard, guarded};
use guarded_testkit::Database;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Executor, Sqlite, SqlitePool};

use crate::hand::{self, Dialect};
use crate::timing::Alt;
use crate::{ITEMS, SUBJECT, TITLE, claims, keys, on};

impl Dialect for Sqlite {
    const BEGIN: &'static str = "BEGIN IMMEDIATE";
    const UPDATE_OWNED: &'static str =
        "UPDATE items SET title = ? WHERE (id = ?) AND items.owner_id = ?";
    const UPDATE: &'static str = "UPDATE items SET title = ? WHERE id = ?";
    const OWNER: &'static str = "SELECT owner_id FROM items WHERE id = ?";
    // No row locks: `BEGIN IMMEDIATE` holds the database's write lock already.
    const OWNER_LOCKED: &'static str = Self::OWNER;
    const TITLE_OWNED: &'static str =
        "SELECT title FROM items WHERE (id = ?) AND items.owner_id = ?";
    const AUDIT: &'static str = "INSERT INTO audit (item_id, note) VALUES (?, ?)";
}

/// The hand-written alternatives on Sqlite.
type Hand = hand::Hand<Sqlite>;

/// Connections in the pool: writers take turns on SQLite's one write lock anyway; more
/// connections only add waiting on the busy timeout.
pub(crate) const CONNECTIONS: u32 = 8;

/// The pool on a fresh database file: WAL with `synchronous = NORMAL` (the usual production
/// setting; no fsync per commit, so the disk of a shared machine does not decide the numbers),
/// one writer at a time waits on the busy timeout.
async fn pool(connections: u32) -> (SqlitePool, Database) {
    let database = Database::fresh("sqlite").expect("SQLite needs no server");
    let options = SqliteConnectOptions::from_str(&database.url)
        .expect("a SQLite URL")
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
    (pool, database)
}

/// The SQLite version and the alternatives; the database goes with [`teardown`].
pub(crate) async fn setup(connections: u32) -> (String, Vec<Alt>, Database) {
    let (pool, database) = pool(connections).await;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&pool)
        .await
        .expect("version");
    let guard = Guard::<Sqlite>::trusted(pool.clone(), claims());
    let alts = vec![
        on(keys::GUARDED, "guarded fn", &guard, rename),
        on(keys::HAND, "hand-written statement", &pool, Hand::rename),
        on(
            keys::HAND_TX,
            "hand-written statement in BEGIN/COMMIT",
            &pool,
            Hand::rename_in_tx,
        ),
        on(
            keys::CHECK_THEN_ACT,
            "check-then-act, no transaction",
            &pool,
            Hand::check_then_act,
        ),
        on(
            keys::LOCK,
            "BEGIN IMMEDIATE + SELECT + UPDATE",
            &pool,
            Hand::locked,
        ),
        on(
            keys::GUARDED3,
            "guarded fn, 3 statements",
            &guard,
            retitle_logged,
        ),
        on(
            keys::HAND3,
            "hand-written transaction, 3 statements",
            &pool,
            Hand::retitle_logged,
        ),
    ];
    (version, alts, database)
}

/// The pools close first, which lets SQLite fold its WAL back; then the files go.
pub(crate) async fn teardown(alts: Arc<Vec<Alt>>, database: Database) {
    drop(alts);
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(database);
}

#[guarded(owner = "items.owner_id")]
async fn rename(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(TITLE)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Three statements: read the old title, write the new one, log the old one.
#[guarded(owner = "items.owner_id", unguarded = "audit")]
async fn retitle_logged(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let old: String = sqlx::query_scalar("SELECT title FROM items WHERE id = ?")
        .bind(id)
        .fetch_one(&mut guard)
        .await?;
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(TITLE)
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
