//! Two guarded tables in one fn, each with its own owner column: `items.owner_id` and
//! `favorites.user_id`. Written once for `Guard<Any>` and run on each backend; the rows are
//! read back through the pool, not through the guard.

use guarded::{Error, Guard, guarded};
use sqlx::{Any, AnyPool, AssertSqlSafe, MySql, Postgres, Sqlite};

use crate::common::{self, Backend, guard};

/// Favorites one of the caller's items: the SELECT carries the items predicate, the INSERT
/// gets `user_id` from the guard.
#[guarded(owner = "items.owner_id, favorites.user_id")]
async fn favorite(mut guard: Guard<Any>, item: i64) -> Result<u64, Error> {
    let done = sqlx::query("INSERT INTO favorites (item_id) SELECT id FROM items WHERE id = ?")
        .bind(item)
        .execute(&mut guard)
        .await?;
    Ok(done.rows_affected())
}

#[guarded(owner = "items.owner_id, favorites.user_id")]
async fn unfavorite(mut guard: Guard<Any>, item: i64) -> Result<u64, Error> {
    let done = sqlx::query("DELETE FROM favorites WHERE item_id = ?")
        .bind(item)
        .idempotent()
        .execute(&mut guard)
        .await?;
    Ok(done.rows_affected())
}

/// The caller's favorites, each with its item's title: both predicates in one statement.
#[guarded(owner = "items.owner_id, favorites.user_id")]
async fn favorites(mut guard: Guard<Any>) -> Result<Vec<(i64, String)>, Error> {
    let rows = sqlx::query_as(
        "SELECT f.item_id, i.title FROM favorites f JOIN items i ON i.id = f.item_id \
         ORDER BY f.item_id",
    )
    .fetch_all(&mut guard)
    .await?;
    Ok(rows)
}

/// How many users favorited `item`: favorites are public to read, so the count is everyone's.
#[guarded(owner = "items.owner_id, favorites.user_id", public_read = "favorites")]
async fn favorite_count(mut guard: Guard<Any>, item: i64) -> Result<i64, Error> {
    let n = sqlx::query_scalar("SELECT count(*) FROM favorites WHERE item_id = ?")
        .bind(item)
        .fetch_one(&mut guard)
        .await?;
    Ok(n)
}

/// Public to read, not to write: the DELETE still carries `favorites.user_id`.
#[guarded(owner = "items.owner_id, favorites.user_id", public_read = "favorites")]
async fn unfavorite_all(mut guard: Guard<Any>, item: i64) -> Result<u64, Error> {
    let done = sqlx::query("DELETE FROM favorites WHERE item_id = ?")
        .bind(item)
        .idempotent()
        .execute(&mut guard)
        .await?;
    Ok(done.rows_affected())
}

/// Who favorited `item`, read without any guard.
async fn favorited_by(pool: &AnyPool, item: i64) -> Vec<String> {
    sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT user_id FROM favorites WHERE item_id = {item} ORDER BY user_id"
    )))
    .fetch_all(pool)
    .await
    .expect("read favorites")
}

async fn two_tables_on<DB: Backend>() {
    let Some((pool, any)) = common::with_any::<DB>().await else {
        return;
    };
    let mine = common::seed(&pool, "mine", "alice").await;
    let theirs = common::seed(&pool, "theirs", "bob").await;
    let (alice, bob) = (guard(&any, "alice"), guard(&any, "bob"));

    assert_eq!(favorite(alice.clone(), mine).await.expect("hers"), 1);
    // Another owner's item: the SELECT finds nothing for alice, so nothing is inserted.
    assert_eq!(favorite(alice.clone(), theirs).await.expect("runs"), 0);
    assert_eq!(favorite(bob.clone(), theirs).await.expect("his"), 1);
    assert_eq!(favorited_by(&any, mine).await, ["alice"]);
    assert_eq!(favorited_by(&any, theirs).await, ["bob"]);

    assert_eq!(
        favorites(alice.clone()).await.expect("a read"),
        [(mine, "mine".to_owned())]
    );
    // Alice's unfavorite of bob's item matches none of her rows and leaves his.
    assert_eq!(
        unfavorite(alice.clone(), theirs).await.expect("idempotent"),
        0
    );
    assert_eq!(favorited_by(&any, theirs).await, ["bob"]);
    assert_eq!(unfavorite(alice, mine).await.expect("hers"), 1);
    assert!(favorited_by(&any, mine).await.is_empty());
    assert_eq!(
        favorites(bob.clone()).await.expect("a read"),
        [(theirs, "theirs".to_owned())]
    );

    // Carol favorites bob's item too (inserted directly): a public read counts both, and
    // alice's delete of every favorite of that item still removes none of theirs.
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO favorites (item_id, user_id) VALUES ({theirs}, 'carol')"
    )))
    .execute(&any)
    .await
    .expect("seed a favorite");
    let alice = guard(&any, "alice");
    assert_eq!(
        favorite_count(alice.clone(), theirs)
            .await
            .expect("a count"),
        2
    );
    assert_eq!(unfavorite_all(alice, theirs).await.expect("idempotent"), 0);
    assert_eq!(favorited_by(&any, theirs).await, ["bob", "carol"]);
    assert_eq!(unfavorite_all(bob, theirs).await.expect("his"), 1);
    assert_eq!(favorited_by(&any, theirs).await, ["carol"]);
}

#[tokio::test]
async fn sqlite() {
    two_tables_on::<Sqlite>().await;
}

#[tokio::test]
async fn postgres() {
    two_tables_on::<Postgres>().await;
}

#[tokio::test]
async fn mariadb() {
    two_tables_on::<MySql>().await;
}
