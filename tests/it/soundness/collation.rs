//! Class 5: a string subject matches only itself, byte for byte. Strangers whose subject a
//! collation folds onto `alice` (case, trailing space, accents) must see and delete nothing of
//! hers, and alice must not see theirs.
//!
//! Each backend runs with its default collation and with one that folds: MariaDB's default
//! (`utf8mb4_general_ci`, PAD SPACE), SQLite's `COLLATE NOCASE` on the owner column, and a
//! PostgreSQL nondeterministic ICU collation on it.

use sqlx::{Executor, MySql, Pool, Postgres, Sqlite};

use crate::common::Backend;
use crate::soundness::harness::{Dump, World, reads_as, writes_as};

/// Subjects a case- or pad-insensitive or accent-folding collation reads as `alice`.
const LOOKALIKES: &[&str] = &["ALICE", "alice ", "Alice", "alicé"];

/// Alice's two items, then one item of each lookalike subject.
fn items() -> Vec<(&'static str, &'static str)> {
    let mut items = vec![("alice-secret", "alice"), ("alice-other", "alice")];
    items.extend(LOOKALIKES.iter().map(|who| ("lookalike-own", *who)));
    items
}

/// Each lookalike reads and deletes, then alice does, on a fresh database each time.
async fn every_lookalike<DB, P, R, RF, D, DF>(prepare: P, read: R, delete: D)
where
    DB: Dump,
    P: AsyncFn() -> Option<Pool<DB>>,
    R: Fn(guarded::Guard<DB>, i64) -> RF + Copy,
    RF: Future<Output = Result<Vec<Option<i64>>, guarded::Error>>,
    D: Fn(guarded::Guard<DB>, i64) -> DF + Copy,
    DF: Future<Output = Result<u64, guarded::Error>>,
{
    for who in LOOKALIKES {
        let Some(pool) = prepare().await else { return };
        let world = World::on(pool, &items()).await;
        reads_as(&format!("{} read as {who:?}", DB::LABEL), who, world, read).await;
        let pool = prepare().await.expect("the server answered a moment ago");
        let world = World::on(pool, &items()).await;
        let case = format!("{} delete as {who:?}", DB::LABEL);
        writes_as(&case, who, world, delete, |_| Vec::new()).await;
    }
}

mod sqlite {
    use guarded::{Guard, guarded};
    use sqlx::Sqlite;

    #[guarded(owner = "items.owner_id")]
    pub async fn read(
        mut guard: Guard<Sqlite>,
        id: i64,
    ) -> Result<Vec<Option<i64>>, guarded::Error> {
        let ids: Vec<Option<i64>> = sqlx::query_scalar("SELECT id FROM items WHERE id >= ?")
            .bind(id)
            .fetch_all(&mut guard)
            .await?;
        Ok(ids)
    }

    #[guarded(owner = "items.owner_id")]
    pub async fn delete(mut guard: Guard<Sqlite>, id: i64) -> Result<u64, guarded::Error> {
        let done = sqlx::query("DELETE FROM items WHERE id = ?")
            .bind(id)
            .execute(&mut guard)
            .await?;
        Ok(done.rows_affected())
    }
}

mod postgres {
    use guarded::{Guard, guarded};
    use sqlx::Postgres;

    #[guarded(owner = "items.owner_id")]
    pub async fn read(
        mut guard: Guard<Postgres>,
        id: i64,
    ) -> Result<Vec<Option<i64>>, guarded::Error> {
        let ids: Vec<Option<i64>> = sqlx::query_scalar("SELECT id FROM items WHERE id >= $1")
            .bind(id)
            .fetch_all(&mut guard)
            .await?;
        Ok(ids)
    }

    #[guarded(owner = "items.owner_id")]
    pub async fn delete(mut guard: Guard<Postgres>, id: i64) -> Result<u64, guarded::Error> {
        let done = sqlx::query("DELETE FROM items WHERE id = $1")
            .bind(id)
            .execute(&mut guard)
            .await?;
        Ok(done.rows_affected())
    }
}

mod mariadb {
    use guarded::{Guard, guarded};
    use sqlx::MySql;

    #[guarded(owner = "items.owner_id")]
    pub async fn read(
        mut guard: Guard<MySql>,
        id: i64,
    ) -> Result<Vec<Option<i64>>, guarded::Error> {
        let ids: Vec<Option<i64>> = sqlx::query_scalar("SELECT id FROM items WHERE id >= ?")
            .bind(id)
            .fetch_all(&mut guard)
            .await?;
        Ok(ids)
    }

    #[guarded(owner = "items.owner_id")]
    pub async fn delete(mut guard: Guard<MySql>, id: i64) -> Result<u64, guarded::Error> {
        let done = sqlx::query("DELETE FROM items WHERE id = ?")
            .bind(id)
            .execute(&mut guard)
            .await?;
        Ok(done.rows_affected())
    }
}

#[tokio::test]
async fn sqlite_binary_compares_bytes() {
    every_lookalike(Sqlite::fresh, sqlite::read, sqlite::delete).await;
}

#[tokio::test]
async fn postgres_default_collation_compares_bytes() {
    every_lookalike(Postgres::fresh, postgres::read, postgres::delete).await;
}

/// The owner column declared `COLLATE NOCASE`: `ALICE` equals `alice` to SQLite.
#[tokio::test]
async fn sqlite_nocase_owner_column() {
    let prepare = async || {
        let pool = Sqlite::fresh().await?;
        pool.execute(
            "DROP TABLE items; CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
             owner_id TEXT NOT NULL COLLATE NOCASE, version INTEGER NOT NULL DEFAULT 1, \
             written_under TEXT)",
        )
        .await
        .expect("recreate items with a NOCASE owner column");
        Some(pool)
    };
    every_lookalike(prepare, sqlite::read, sqlite::delete).await;
}

/// MariaDB's default collation (`utf8mb4_general_ci`, PAD SPACE) folds case, trailing spaces
/// and accents.
#[tokio::test]
async fn mariadb_default_collation() {
    every_lookalike(MySql::fresh, mariadb::read, mariadb::delete).await;
}

/// A nondeterministic ICU collation on the owner column: equal at the secondary strength
/// ignores case.
#[tokio::test]
async fn postgres_nondeterministic_owner_column() {
    let prepare = async || {
        let pool = Postgres::fresh().await?;
        for statement in [
            "CREATE COLLATION folded (provider = icu, locale = 'und-u-ks-level1', deterministic = false)",
            "ALTER TABLE items ALTER COLUMN owner_id TYPE text COLLATE folded",
        ] {
            pool.execute(statement).await.expect(statement);
        }
        Some(pool)
    };
    every_lookalike(prepare, postgres::read, postgres::delete).await;
}
