//! Zero rows, per statement: a guarded write that matches no row is a denial, unless the
//! statement says `.idempotent()`; either way another owner's row is untouched. Written once
//! for `Guard<Any>` and run on each backend; the rows are read through the backend's pool.

use guarded::{Deny, Error, Guard, guarded};
use sqlx::{Any, MySql, Postgres, Sqlite};

use crate::common::{self, Backend, guard};

#[guarded(owner = "items.owner_id")]
async fn delete(mut guard: Guard<Any>, id: i64) -> Result<(), Error> {
    sqlx::query("DELETE FROM items WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// An idempotent delete: a second call, or a call for a row that is gone, is no denial.
#[guarded(owner = "items.owner_id")]
async fn delete_idempotent(mut guard: Guard<Any>, id: i64) -> Result<u64, Error> {
    let done = sqlx::query("DELETE FROM items WHERE id = ?")
        .bind(id)
        .idempotent()
        .execute(&mut guard)
        .await?;
    Ok(done.rows_affected())
}

/// The statement's future kept and awaited later: it runs, and is settled, when awaited.
#[guarded(owner = "items.owner_id")]
async fn delete_later(mut guard: Guard<Any>, id: i64) -> Result<(), Error> {
    let delete = sqlx::query("DELETE FROM items WHERE id = ?")
        .bind(id)
        .execute(&mut guard);
    delete.await?;
    Ok(())
}

/// Two statements, so a transaction; the second may match nothing, the first may not.
#[guarded(owner = "items.owner_id", deny = 403)]
async fn rename_then_delete_other(mut guard: Guard<Any>, id: i64, other: i64) -> Result<(), Error> {
    sqlx::query("UPDATE items SET title = 'renamed' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    sqlx::query("DELETE FROM items WHERE id = ?")
        .bind(other)
        .idempotent()
        .execute(&mut guard)
        .await?;
    Ok(())
}

async fn zero_rows_on<DB: Backend>() {
    let Some((pool, any)) = common::with_any::<DB>().await else {
        return;
    };
    let mine = common::seed(&pool, "mine", "alice").await;
    let theirs = common::seed(&pool, "theirs", "bob").await;
    let alice = guard(&any, "alice");

    // Another owner's row: a denial by default, nothing with `.idempotent()`; never deleted.
    let denied = delete(alice.clone(), theirs).await;
    assert!(
        matches!(denied, Err(Error::Denied(Deny::NotFound))),
        "{denied:?}"
    );
    assert_eq!(
        delete_idempotent(alice.clone(), theirs)
            .await
            .expect("no denial"),
        0
    );
    assert_eq!(
        common::row(&pool, theirs).await,
        Some(common::item("theirs", "bob"))
    );

    // A future awaited later is settled as one awaited where it is written.
    let later = delete_later(alice.clone(), theirs).await;
    assert!(
        matches!(later, Err(Error::Denied(Deny::NotFound))),
        "{later:?}"
    );
    assert_eq!(
        common::row(&pool, theirs).await,
        Some(common::item("theirs", "bob"))
    );
    let gone = common::seed(&pool, "gone", "alice").await;
    delete_later(alice.clone(), gone)
        .await
        .expect("the owner's row");
    assert_eq!(common::row(&pool, gone).await, None);

    // The statement without the marker still denies in the same fn; the marked one does not.
    let forbidden = rename_then_delete_other(alice.clone(), theirs, mine).await;
    assert!(
        matches!(forbidden, Err(Error::Denied(Deny::Forbidden))),
        "{forbidden:?}"
    );
    assert_eq!(
        common::row(&pool, mine).await,
        Some(common::item("mine", "alice"))
    );
    let spare = common::seed(&pool, "spare", "alice").await;
    rename_then_delete_other(alice.clone(), spare, theirs)
        .await
        .expect("the delete may match none");
    assert_eq!(
        common::row(&pool, spare).await,
        Some(common::item("renamed", "alice"))
    );
    assert_eq!(
        common::row(&pool, theirs).await,
        Some(common::item("theirs", "bob"))
    );

    // The owner's row, twice: deleted once, then nothing to delete and no denial.
    assert_eq!(
        delete_idempotent(alice.clone(), mine)
            .await
            .expect("deletes"),
        1
    );
    assert_eq!(delete_idempotent(alice, mine).await.expect("again"), 0);
    assert_eq!(common::row(&pool, mine).await, None);
}

#[tokio::test]
async fn sqlite() {
    zero_rows_on::<Sqlite>().await;
}

#[tokio::test]
async fn postgres() {
    zero_rows_on::<Postgres>().await;
}

#[tokio::test]
async fn mariadb() {
    zero_rows_on::<MySql>().await;
}

/// `deny = 403` beyond a plain UPDATE/DELETE: an upsert (zero rows means the conflicting row
/// is another owner's, so 403 without another query) and the body of a read-only WITH.
mod forbidden {
    use guarded::{Deny, Error, Guard, guarded};
    use sqlx::{Pool, Postgres, Sqlite};

    use crate::common::{self, Backend, guard};

    #[guarded(owner = "items.owner_id", deny = 403)]
    async fn upsert_sqlite(mut guard: Guard<Sqlite>, id: i64) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO items (id, title) VALUES (?, 'taken') \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        )
        .bind(id)
        .execute(&mut guard)
        .await?;
        Ok(())
    }

    #[guarded(owner = "items.owner_id", deny = 403)]
    async fn upsert_postgres(mut guard: Guard<Postgres>, id: i64) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO items (id, title) VALUES ($1, 'taken') \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        )
        .bind(id)
        .execute(&mut guard)
        .await?;
        Ok(())
    }

    /// The body of a read-only WITH: its existence check runs the WITH again. Its WHERE
    /// looks the row up by key: `deny = 403` refuses any other condition.
    #[guarded(owner = "items.owner_id", deny = 403)]
    async fn delete_after_with_sqlite(mut guard: Guard<Sqlite>, id: i64) -> Result<(), Error> {
        sqlx::query("WITH unused AS (SELECT 1 AS one) DELETE FROM items WHERE id = ?")
            .bind(id)
            .execute(&mut guard)
            .await?;
        Ok(())
    }

    #[guarded(owner = "items.owner_id", deny = 403)]
    async fn delete_after_with_postgres(mut guard: Guard<Postgres>, id: i64) -> Result<(), Error> {
        sqlx::query("WITH unused AS (SELECT 1 AS one) DELETE FROM items WHERE id = $1")
            .bind(id)
            .execute(&mut guard)
            .await?;
        Ok(())
    }

    /// Each backend's two fns, against another owner's row, a missing row and the caller's.
    async fn forbidden_on<DB, U, W>(
        pool: Pool<DB>,
        upsert: impl Fn(Guard<DB>, i64) -> U,
        delete_after_with: impl Fn(Guard<DB>, i64) -> W,
    ) where
        DB: Backend,
        U: Future<Output = Result<(), Error>>,
        W: Future<Output = Result<(), Error>>,
    {
        let theirs = common::seed(&pool, "theirs", "bob").await;
        let mine = common::seed(&pool, "mine", "alice").await;
        let alice = || guard(&pool, "alice");
        let untouched = Some(common::item("theirs", "bob"));

        let denied = upsert(alice(), theirs).await;
        assert!(
            matches!(denied, Err(Error::Denied(Deny::Forbidden))),
            "{denied:?}"
        );
        assert_eq!(common::row(&pool, theirs).await, untouched);
        upsert(alice(), mine).await.expect("hers");
        assert_eq!(
            common::row(&pool, mine).await,
            Some(common::item("taken", "alice"))
        );

        let denied = delete_after_with(alice(), theirs).await;
        assert!(
            matches!(denied, Err(Error::Denied(Deny::Forbidden))),
            "{denied:?}"
        );
        let absent = delete_after_with(alice(), i64::from(i32::MAX)).await;
        assert!(
            matches!(absent, Err(Error::Denied(Deny::NotFound))),
            "{absent:?}"
        );
        assert_eq!(common::row(&pool, theirs).await, untouched);
        delete_after_with(alice(), mine).await.expect("hers");
        assert_eq!(common::row(&pool, mine).await, None);
    }

    #[tokio::test]
    async fn on_sqlite() {
        let pool = common::sqlite().await;
        forbidden_on(pool, upsert_sqlite, delete_after_with_sqlite).await;
    }

    #[tokio::test]
    async fn on_postgres() {
        let Some(pool) = Postgres::fresh().await else {
            return;
        };
        forbidden_on(pool, upsert_postgres, delete_after_with_postgres).await;
    }
}

/// An upsert of several rows inserts or updates each; one that meets another owner's row is
/// a denial, and the rows it did write are undone with it.
mod several_rows {
    use guarded::{Deny, Error, Guard, guarded};
    use sqlx::{Pool, Postgres, Sqlite};

    use crate::common::{self, Backend, guard};

    #[guarded(owner = "items.owner_id")]
    async fn upsert_sqlite(mut guard: Guard<Sqlite>, a: i64, b: i64) -> Result<u64, Error> {
        let done = sqlx::query(
            "INSERT INTO items (id, title) VALUES (?, 'both'), (?, 'both') \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        )
        .bind(a)
        .bind(b)
        .execute(&mut guard)
        .await?;
        Ok(done.rows_affected())
    }

    #[guarded(owner = "items.owner_id")]
    async fn upsert_postgres(mut guard: Guard<Postgres>, a: i64, b: i64) -> Result<u64, Error> {
        let ids: Vec<(i64,)> = sqlx::query_as(
            "INSERT INTO items (id, title) VALUES ($1, 'both'), ($2, 'both') \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title RETURNING id",
        )
        .bind(a)
        .bind(b)
        .fetch_all(&mut guard)
        .await?;
        Ok(u64::try_from(ids.len()).expect("two"))
    }

    async fn several_on<DB, F>(pool: Pool<DB>, upsert: impl Fn(Guard<DB>, i64, i64) -> F)
    where
        DB: Backend,
        F: Future<Output = Result<u64, Error>>,
    {
        let mine = common::seed(&pool, "mine", "alice").await;
        let theirs = common::seed(&pool, "theirs", "bob").await;
        let alice = || guard(&pool, "alice");
        let denied = upsert(alice(), mine, theirs).await;
        assert!(
            matches!(denied, Err(Error::Denied(Deny::NotFound))),
            "{denied:?}"
        );
        assert_eq!(
            common::row(&pool, theirs).await,
            Some(common::item("theirs", "bob"))
        );
        // The row the statement did update is undone with the denial.
        assert_eq!(
            common::row(&pool, mine).await,
            Some(common::item("mine", "alice"))
        );
        let fresh = theirs + 1000;
        assert_eq!(
            upsert(alice(), mine, fresh)
                .await
                .expect("hers and a new one"),
            2
        );
        assert_eq!(
            common::row(&pool, mine).await,
            Some(common::item("both", "alice"))
        );
        assert_eq!(
            common::row(&pool, fresh).await,
            Some(common::item("both", "alice"))
        );
    }

    #[tokio::test]
    async fn on_sqlite() {
        several_on(common::sqlite().await, upsert_sqlite).await;
    }

    #[tokio::test]
    async fn on_postgres() {
        let Some(pool) = Postgres::fresh().await else {
            return;
        };
        several_on(pool, upsert_postgres).await;
    }
}
