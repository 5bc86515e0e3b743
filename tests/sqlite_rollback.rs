//! A panic or a dropped future inside a guarded fn rolls its transaction back.

mod common;

use std::time::Duration;

use common::{row, seed, sqlite};
use guarded::{Claims, Guard, guarded};
use sqlx::{Sqlite, SqlitePool};

fn guard_for(pool: &SqlitePool, sub: &str) -> Guard<Sqlite> {
    let claims: Claims =
        serde_json::from_value(serde_json::json!({ "sub": sub, "exp": u64::MAX / 2 }))
            .expect("claims");
    Guard::trusted(pool.clone(), claims)
}

/// Writes, then panics before returning.
#[guarded(owner = "items.owner_id")]
async fn rename_then_panic(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = 'half-done' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    sqlx::query("UPDATE items SET title = 'never' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    panic!("crash after the first write");
}

/// Writes, then waits forever: the caller drops the future.
#[guarded(owner = "items.owner_id")]
async fn rename_then_hang(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = 'half-done' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    std::future::pending::<()>().await;
    sqlx::query("UPDATE items SET title = 'never' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_panic_rolls_back() {
    let pool = sqlite().await;
    let id = seed(&pool, "intact", "alice").await;
    let task = tokio::spawn(rename_then_panic(guard_for(&pool, "alice"), id));
    assert!(task.await.expect_err("the fn panics").is_panic());
    assert_eq!(
        row(&pool, id).await,
        Some(("intact".into(), "alice".into()))
    );
}

#[tokio::test]
async fn a_dropped_future_rolls_back() {
    let pool = sqlite().await;
    let id = seed(&pool, "intact", "alice").await;
    let outcome = tokio::time::timeout(
        Duration::from_millis(200),
        rename_then_hang(guard_for(&pool, "alice"), id),
    )
    .await;
    assert!(
        outcome.is_err(),
        "the fn never returns; the timeout drops it"
    );
    assert_eq!(
        row(&pool, id).await,
        Some(("intact".into(), "alice".into()))
    );
}
