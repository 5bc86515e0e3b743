//! The statement forms beyond plain UPDATE/DELETE/SELECT, run on each backend that has them:
//! INSERT ... SELECT and JOINs everywhere, upserts on SQLite and PostgreSQL, data-modifying
//! CTEs on PostgreSQL. Each is run by the owner and by a stranger, and the rows are checked.

use crate::common::guard;

/// INSERT ... SELECT and a JOIN, stamped out per dialect.
macro_rules! common_forms {
    ($module:ident, $db:ident, copy = $copy:tt, note = $note:tt, notes = $notes:tt) => {
        mod $module {
            use guarded::{Guard, guarded};
            use sqlx::$db;

            use super::guard;
            use crate::common::item;
            use crate::common::{row, seed, state_of};

            /// Copies an item: the SELECT reads only the caller's rows, the INSERT writes the
            /// caller as owner.
            #[guarded(owner = "items.owner_id")]
            async fn copy(mut guard: Guard<$db>, id: i64) -> Result<u64, guarded::Error> {
                let done = sqlx::query($copy).bind(id).execute(&mut guard).await?;
                Ok(done.rows_affected())
            }

            /// The notes of an item, through a JOIN on the guarded table.
            #[guarded(owner = "items.owner_id", unguarded = "audit")]
            async fn notes(mut guard: Guard<$db>, id: i64) -> Result<Vec<String>, guarded::Error> {
                sqlx::query($note).bind(id).execute(&mut guard).await?;
                let notes: Vec<String> = sqlx::query_scalar($notes)
                    .bind(id)
                    .fetch_all(&mut guard)
                    .await?;
                Ok(notes)
            }

            #[tokio::test]
            async fn insert_select_reads_and_writes_only_the_callers_rows() {
                let Some(state) = state_of::<$db>().await else {
                    return;
                };
                let pool = &state.pool;
                let mine = seed(pool, "mine", "alice").await;
                let theirs = seed(pool, "theirs", "bob").await;
                assert_eq!(copy(guard(pool, "alice"), mine).await.expect("copy"), 1);
                assert_eq!(copy(guard(pool, "alice"), theirs).await.expect("copy"), 0);
                let copies: i64 =
                    sqlx::query_scalar("SELECT count(*) FROM items WHERE title = 'mine'")
                        .fetch_one(pool)
                        .await
                        .expect("count");
                assert_eq!(copies, 2);
                assert_eq!(row(pool, theirs).await, Some(item("theirs", "bob")));
                let stolen: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM items WHERE owner_id = 'alice' AND title = 'theirs'",
                )
                .fetch_one(pool)
                .await
                .expect("count");
                assert_eq!(stolen, 0);
            }

            #[tokio::test]
            async fn a_join_sees_only_the_callers_items() {
                let Some(state) = state_of::<$db>().await else {
                    return;
                };
                let pool = &state.pool;
                let theirs = seed(pool, "theirs", "bob").await;
                assert_eq!(
                    notes(guard(pool, "bob"), theirs).await.expect("notes"),
                    ["noted"]
                );
                // The audit insert is not guarded (declared), but the JOIN is: nothing shows.
                assert_eq!(
                    notes(guard(pool, "alice"), theirs).await.expect("notes"),
                    Vec::<String>::new()
                );
            }
        }
    };
}

common_forms!(
    sqlite,
    Sqlite,
    copy = "INSERT INTO items (title) SELECT title FROM items WHERE id = ?",
    note = "INSERT INTO audit (item_id, note) VALUES (?, 'noted')",
    notes =
        "SELECT a.note FROM items i JOIN audit a ON a.item_id = i.id WHERE i.id = ? ORDER BY a.id"
);
common_forms!(
    postgres,
    Postgres,
    copy = "INSERT INTO items (title) SELECT title FROM items WHERE id = $1",
    note = "INSERT INTO audit (item_id, note) VALUES ($1, 'noted')",
    notes =
        "SELECT a.note FROM items i JOIN audit a ON a.item_id = i.id WHERE i.id = $1 ORDER BY a.id"
);
common_forms!(
    mariadb,
    MySql,
    copy = "INSERT INTO items (title) SELECT title FROM items WHERE id = ?",
    note = "INSERT INTO audit (item_id, note) VALUES (?, 'noted')",
    notes =
        "SELECT a.note FROM items i JOIN audit a ON a.item_id = i.id WHERE i.id = ? ORDER BY a.id"
);

mod upsert {
    use guarded::{Guard, guarded};
    use sqlx::{Postgres, Sqlite};

    use super::guard;
    use crate::common::item;
    use crate::common::{row, seed, state_of};

    #[guarded(owner = "items.owner_id")]
    async fn upsert_sqlite(
        mut guard: Guard<Sqlite>,
        id: i64,
        title: &str,
    ) -> Result<u64, guarded::Error> {
        let done = sqlx::query("INSERT INTO items (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title")
            .bind(id)
            .bind(title)
            .execute(&mut guard)
            .await?;
        Ok(done.rows_affected())
    }

    #[guarded(owner = "items.owner_id")]
    async fn upsert_postgres(
        mut guard: Guard<Postgres>,
        id: i64,
        title: &str,
    ) -> Result<u64, guarded::Error> {
        let done = sqlx::query("INSERT INTO items (id, title) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET title = excluded.title")
            .bind(id)
            .bind(title)
            .execute(&mut guard)
            .await?;
        Ok(done.rows_affected())
    }

    /// An upsert that meets another owner's row changes nothing and ends with a denial; on the
    /// caller's own row it updates; on a free key it inserts with the caller as owner.
    async fn upsert_updates_only_the_callers_row<DB, F, Fut>(pool: &sqlx::Pool<DB>, upsert: F)
    where
        DB: crate::common::Backend,
        F: Fn(Guard<DB>, i64, &'static str) -> Fut,
        Fut: Future<Output = Result<u64, guarded::Error>>,
    {
        let mine = seed(pool, "mine", "alice").await;
        let theirs = seed(pool, "theirs", "bob").await;
        let updated = upsert(guard(pool, "alice"), mine, "updated").await;
        assert_eq!(updated.expect("upsert of the caller's row"), 1);
        let stolen = upsert(guard(pool, "alice"), theirs, "stolen").await;
        assert!(
            matches!(stolen, Err(guarded::Error::Denied(_))),
            "another owner's row: a denial, got {stolen:?}"
        );
        let fresh = upsert(guard(pool, "alice"), 1000, "fresh").await;
        assert_eq!(fresh.expect("upsert of a free key"), 1);
        assert_eq!(row(pool, mine).await, Some(item("updated", "alice")));
        assert_eq!(row(pool, theirs).await, Some(item("theirs", "bob")));
        assert_eq!(row(pool, 1000).await, Some(item("fresh", "alice")));
    }

    #[tokio::test]
    async fn upsert_on_sqlite() {
        let state = state_of::<Sqlite>().await.expect("SQLite needs no server");
        upsert_updates_only_the_callers_row(&state.pool, upsert_sqlite).await;
    }

    #[tokio::test]
    async fn upsert_on_postgres() {
        let Some(state) = state_of::<Postgres>().await else {
            return;
        };
        upsert_updates_only_the_callers_row(&state.pool, upsert_postgres).await;
    }
}

mod cte {
    use guarded::{Guard, guarded};
    use sqlx::Postgres;

    use super::guard;
    use crate::common::item;
    use crate::common::{row, seed, state_of};

    /// A data-modifying CTE: its DELETE carries the predicate, and its count is the decision
    /// (`.idempotent()`: the statement's one row does not count what the DELETE matched).
    #[guarded(owner = "items.owner_id")]
    async fn delete_counted(mut guard: Guard<Postgres>, id: i64) -> Result<i64, guarded::Error> {
        let n: i64 = sqlx::query_scalar(
            "WITH d AS (DELETE FROM items WHERE id = $1 RETURNING id) SELECT count(*) FROM d",
        )
        .bind(id)
        .idempotent()
        .fetch_one(&mut guard)
        .await?;
        Ok(n)
    }

    #[tokio::test]
    async fn a_cte_delete_removes_only_the_callers_row_on_postgres() {
        let Some(state) = state_of::<Postgres>().await else {
            return;
        };
        let pool = &state.pool;
        let mine = seed(pool, "mine", "alice").await;
        let theirs = seed(pool, "theirs", "bob").await;
        assert_eq!(
            delete_counted(guard(pool, "alice"), theirs)
                .await
                .expect("runs"),
            0
        );
        assert_eq!(row(pool, theirs).await, Some(item("theirs", "bob")));
        assert_eq!(
            delete_counted(guard(pool, "alice"), mine)
                .await
                .expect("runs"),
            1
        );
        assert_eq!(row(pool, mine).await, None);
    }
}

mod swallowed_denial {
    use guarded::{Guard, guarded};
    use sqlx::Sqlite;

    use super::guard;
    use crate::common::{item, row, seed, state_of};

    /// A single-statement body (no transaction) that ignores the statement's denial and leaves
    /// through an early `return`: the denial must still be what the fn returns.
    #[guarded(owner = "items.owner_id")]
    async fn rename_ignoring_denial(
        mut guard: Guard<Sqlite>,
        id: i64,
    ) -> Result<&'static str, guarded::Error> {
        let done = sqlx::query("UPDATE items SET title = 'renamed' WHERE id = ?")
            .bind(id)
            .execute(&mut guard)
            .await;
        if done.is_err() {
            return Ok("swallowed");
        }
        Ok("written")
    }

    #[tokio::test]
    async fn an_ignored_denial_still_ends_the_fn() {
        let state = state_of::<Sqlite>().await.expect("SQLite needs no server");
        let pool = &state.pool;
        let theirs = seed(pool, "theirs", "bob").await;
        let out = rename_ignoring_denial(guard(pool, "alice"), theirs).await;
        assert!(matches!(out, Err(guarded::Error::Denied(_))), "{out:?}");
        assert_eq!(row(pool, theirs).await, Some(item("theirs", "bob")));
        let out = rename_ignoring_denial(guard(pool, "bob"), theirs).await;
        assert_eq!(out.expect("the owner's write"), "written");
    }
}
