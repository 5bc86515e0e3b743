//! What a guarded fn's errors tell the app, distinct from a denial: a constraint the database
//! enforces, and a row another table lacks. Written once for `Guard<Any>`; rows read through
//! the backend's pool.

use guarded::{Deny, Error, Guard, guarded};
use sqlx::error::ErrorKind;
use sqlx::{Any, MySql, Postgres, Sqlite};

use crate::common::{self, Backend, guard};

#[guarded(owner = "items.owner_id")]
async fn create_with_id(mut guard: Guard<Any>, id: i64) -> Result<(), Error> {
    sqlx::query("INSERT INTO items (id, title) VALUES (?, 'copy')")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// `audit` is not a guarded table: an item without a note is the app's not-found.
#[guarded(owner = "items.owner_id")]
async fn note(mut guard: Guard<Any>, item: i64) -> Result<String, Error> {
    let note = sqlx::query_scalar("SELECT note FROM audit WHERE item_id = ?")
        .bind(item)
        .fetch_one(&mut guard)
        .await?;
    Ok(note)
}

#[guarded(owner = "items.owner_id")]
async fn title(mut guard: Guard<Any>, id: i64) -> Result<String, Error> {
    let title = sqlx::query_scalar("SELECT title FROM items WHERE id = ?")
        .bind(id)
        .fetch_one(&mut guard)
        .await?;
    Ok(title)
}

/// An app's own error: the database's refusals it answers itself, one line each.
#[derive(Debug)]
enum AppError {
    Taken,
    NoSuchParent,
    Guarded(Error),
}

impl AppError {
    fn status(&self) -> u16 {
        match self {
            Self::Taken => 409,
            Self::NoSuchParent => 422,
            Self::Guarded(e) => e.status().as_u16(),
        }
    }
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        match e.constraint_violation() {
            Some(ErrorKind::UniqueViolation) => Self::Taken,
            Some(ErrorKind::ForeignKeyViolation) => Self::NoSuchParent,
            _ => Self::Guarded(e),
        }
    }
}

async fn errors_on<DB: Backend>() {
    let Some((pool, any)) = common::with_any::<DB>().await else {
        return;
    };
    let mine = common::seed(&pool, "mine", "alice").await;
    let theirs = common::seed(&pool, "theirs", "bob").await;
    let alice = guard(&any, "alice");

    // A duplicate key is the database's refusal, with its kind; never a denial, and the
    // row it collides with is untouched.
    let taken = create_with_id(alice.clone(), theirs)
        .await
        .expect_err("a duplicate key");
    assert_eq!(
        taken.constraint_violation(),
        Some(ErrorKind::UniqueViolation)
    );
    assert!(taken.as_database_error().is_some());
    assert_eq!(taken.status(), 500, "unmapped, it stays an internal error");
    assert_eq!(AppError::from(taken).status(), 409);
    assert_eq!(
        common::row(&pool, theirs).await,
        Some(common::item("theirs", "bob"))
    );
    // Code written against `sqlx::Error` gets it back.
    let again = create_with_id(alice.clone(), theirs)
        .await
        .expect_err("again");
    assert!(matches!(again.into_sqlx(), Ok(sqlx::Error::Database(_))));

    // A `fetch_one` of another table that finds nothing is sqlx's `RowNotFound`: a 404 by
    // default, but not a denial, so the app can tell it apart.
    let missing = note(alice.clone(), mine).await.expect_err("no note");
    assert!(
        matches!(missing.as_sqlx(), Some(sqlx::Error::RowNotFound)),
        "{missing:?}"
    );
    assert_eq!(
        (missing.status().as_u16(), missing.code()),
        (404, "not_found")
    );
    assert!(!matches!(missing, Error::Denied(_)));
    assert!(matches!(&AppError::from(missing), e @ AppError::Guarded(_) if e.status() == 404));

    // The same read of the guarded table is a denial: not hers, or not there.
    let denied = title(alice.clone(), theirs).await.expect_err("not hers");
    assert!(
        matches!(denied, Error::Denied(Deny::NotFound)),
        "{denied:?}"
    );
    assert!(denied.as_sqlx().is_none() && denied.constraint_violation().is_none());
    assert_eq!(title(alice, mine).await.expect("hers"), "mine");
}

#[tokio::test]
async fn sqlite() {
    errors_on::<Sqlite>().await;
}

#[tokio::test]
async fn postgres() {
    errors_on::<Postgres>().await;
}

#[tokio::test]
async fn mariadb() {
    errors_on::<MySql>().await;
}
