//! The hand-written alternatives, once for every backend: each is generic over the database,
//! and [`Dialect`] gives what one writes differently on each (placeholders, how a transaction
//! takes its lock). The guarded fns and the alternatives only one backend has (row-level
//! security) stay in the backend's module.

use std::marker::PhantomData;

use guarded::{Deny, GuardedDb};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

use crate::{SUBJECT, TITLE};

/// The statements of the hand-written alternatives, as one writes them on a backend.
pub(crate) trait Dialect: GuardedDb {
    /// What opens a transaction that will write: SQLite takes its write lock at `BEGIN
    /// IMMEDIATE` (its closest analogue of a row lock); PostgreSQL locks rows as it reads them.
    const BEGIN: &'static str;
    /// The write with its owner predicate, as the guarded fn sends it: title, id, owner.
    const UPDATE_OWNED: &'static str;
    /// The write by key alone: title, id.
    const UPDATE: &'static str;
    /// The owner of an item: id.
    const OWNER: &'static str;
    /// The owner of an item, its row locked until the transaction ends (SQLite: the write
    /// lock `BEGIN` took already): id.
    const OWNER_LOCKED: &'static str;
    /// The title of an item its owner reads: id, owner.
    const TITLE_OWNED: &'static str;
    /// A line of the audit table: item id, note.
    const AUDIT: &'static str;
}

/// The alternatives on `DB`; the bounds are what its queries need, said once.
pub(crate) struct Hand<DB>(PhantomData<DB>);

impl<DB: Dialect> Hand<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// What the guarded `rename` runs, written by hand: the limit, one round trip.
    pub(crate) async fn rename(pool: Pool<DB>, id: i64) -> Result<(), guarded::Error> {
        let done = sqlx::query(DB::UPDATE_OWNED)
            .bind(TITLE)
            .bind(id)
            .bind(SUBJECT)
            .execute(&pool)
            .await?;
        found(DB::rows_affected(&done))
    }

    /// The same statement in a transaction: what a single-statement body would cost if the
    /// guard opened one.
    pub(crate) async fn rename_in_tx(pool: Pool<DB>, id: i64) -> Result<(), guarded::Error> {
        let mut tx = pool.begin_with(DB::BEGIN).await?;
        let done = sqlx::query(DB::UPDATE_OWNED)
            .bind(TITLE)
            .bind(id)
            .bind(SUBJECT)
            .execute(&mut *tx)
            .await?;
        found(DB::rows_affected(&done))?;
        tx.commit().await?;
        Ok(())
    }

    /// The bug `guarded` exists for, timed: the owner read first, the write by key
    /// afterwards, no transaction.
    pub(crate) async fn check_then_act(pool: Pool<DB>, id: i64) -> Result<(), guarded::Error> {
        let owner: Option<String> = sqlx::query_scalar(DB::OWNER)
            .bind(id)
            .fetch_optional(&pool)
            .await?;
        if owner.as_deref() != Some(SUBJECT) {
            return Err(guarded::Error::Denied(Deny::NotFound));
        }
        sqlx::query(DB::UPDATE)
            .bind(TITLE)
            .bind(id)
            .execute(&pool)
            .await?;
        Ok(())
    }

    /// Check-then-act made safe by locking the row (SQLite: the database) until the write
    /// commits.
    pub(crate) async fn locked(pool: Pool<DB>, id: i64) -> Result<(), guarded::Error> {
        let mut tx = pool.begin_with(DB::BEGIN).await?;
        let owner: Option<String> = sqlx::query_scalar(DB::OWNER_LOCKED)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if owner.as_deref() != Some(SUBJECT) {
            return Err(guarded::Error::Denied(Deny::NotFound));
        }
        sqlx::query(DB::UPDATE)
            .bind(TITLE)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What the guarded `retitle_logged` runs, written by hand: read the old title, write
    /// the new one, log the old one, in one transaction.
    pub(crate) async fn retitle_logged(pool: Pool<DB>, id: i64) -> Result<(), guarded::Error> {
        let mut tx = pool.begin_with(DB::BEGIN).await?;
        let old: Option<String> = sqlx::query_scalar(DB::TITLE_OWNED)
            .bind(id)
            .bind(SUBJECT)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(old) = old else {
            return Err(guarded::Error::Denied(Deny::NotFound));
        };
        let done = sqlx::query(DB::UPDATE_OWNED)
            .bind(TITLE)
            .bind(id)
            .bind(SUBJECT)
            .execute(&mut *tx)
            .await?;
        found(DB::rows_affected(&done))?;
        sqlx::query(DB::AUDIT)
            .bind(id)
            .bind(old)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A write that changed no row is the denial the guarded fn reports.
fn found(rows: u64) -> Result<(), guarded::Error> {
    if rows == 0 {
        return Err(guarded::Error::Denied(Deny::NotFound));
    }
    Ok(())
}
