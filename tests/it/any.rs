//! `Guard<Any>`: one fn for every backend, its statements written for each and chosen by the
//! pool's URL. Each fn runs on each backend through an `Any` pool; the rows are read through
//! the backend's own pool.

use guarded::{Deny, Error, Guard, guarded};
use sqlx::{Any, MySql, Postgres, Sqlite};

use crate::common::{self, Backend, guard};

#[guarded(owner = "items.owner_id")]
pub async fn rename(mut guard: Guard<Any>, id: i64, title: &str) -> Result<(), Error> {
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(title)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Placeholders on both sides of the predicate: the subject's bind moves with each backend.
#[guarded(owner = "items.owner_id")]
async fn titles(mut guard: Guard<Any>, after: i64, limit: i64) -> Result<Vec<String>, Error> {
    let titles = sqlx::query_scalar("SELECT title FROM items WHERE id > ? ORDER BY id LIMIT ?")
        .bind(after)
        .bind(limit)
        .fetch_all(&mut guard)
        .await?;
    Ok(titles)
}

/// A transaction, and the existence check of `deny = 403` on each backend.
#[guarded(owner = "items.owner_id", deny = 403)]
async fn remove(mut guard: Guard<Any>, id: i64) -> Result<(), Error> {
    sqlx::query("DELETE FROM items WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

async fn every_statement_is_guarded_on<DB: Backend>() {
    let Some((pool, any)) = common::with_any::<DB>().await else {
        return;
    };
    let mine = common::seed(&pool, "mine", "alice").await;
    let theirs = common::seed(&pool, "theirs", "bob").await;
    let alice = guard(&any, "alice");

    rename(alice.clone(), mine, "renamed")
        .await
        .expect("the owner renames");
    let stolen = rename(alice.clone(), theirs, "stolen").await;
    assert!(
        matches!(stolen, Err(Error::Denied(Deny::NotFound))),
        "{stolen:?}"
    );
    assert_eq!(
        common::row(&pool, mine).await,
        Some(common::item("renamed", "alice"))
    );
    assert_eq!(
        common::row(&pool, theirs).await,
        Some(common::item("theirs", "bob"))
    );

    let seen = titles(alice.clone(), 0, 10).await.expect("a read");
    assert_eq!(seen, ["renamed"], "{}", DB::LABEL);

    let forbidden = remove(alice.clone(), theirs).await;
    assert!(
        matches!(forbidden, Err(Error::Denied(Deny::Forbidden))),
        "{forbidden:?}"
    );
    let absent = remove(alice.clone(), i64::from(i32::MAX)).await;
    assert!(
        matches!(absent, Err(Error::Denied(Deny::NotFound))),
        "{absent:?}"
    );
    assert_eq!(
        common::row(&pool, theirs).await,
        Some(common::item("theirs", "bob"))
    );
    remove(alice, mine).await.expect("the owner deletes");
    assert_eq!(common::row(&pool, mine).await, None);
}

#[tokio::test]
async fn sqlite() {
    every_statement_is_guarded_on::<Sqlite>().await;
}

#[tokio::test]
async fn postgres() {
    every_statement_is_guarded_on::<Postgres>().await;
}

#[tokio::test]
async fn mariadb() {
    every_statement_is_guarded_on::<MySql>().await;
}
