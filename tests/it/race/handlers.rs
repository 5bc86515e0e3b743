//! The race's handlers in each dialect: guarded, and the naive check-then-act baseline.

/// One backend's handlers; the SQL arrives as `tt` so `#[guarded]` sees plain literals.
macro_rules! race_handlers {
    (
        $module:ident, $db:ident,
        update = $update:tt, delete = $delete:tt, owner_of = $owner_of:tt,
        transfer = $transfer:tt, revoke = $revoke:tt
    ) => {
        pub mod $module {
            use guarded::{Guard, guarded};
            use sqlx::{Pool, $db};

            use crate::race::harness::{Handlers, yields};

            pub static HANDLERS: Handlers<$db> = Handlers {
                guarded_update: |g, id| Box::pin(guarded_update(g, id)),
                guarded_delete: |g, id| Box::pin(guarded_delete(g, id)),
                naive_update: |p, who, id| Box::pin(naive_update(p, who, id)),
                naive_delete: |p, who, id| Box::pin(naive_delete(p, who, id)),
                transfer: |g, id, to| Box::pin(transfer(g, id, to)),
                revoke: |p, id| Box::pin(revoke(p, id)),
            };

            #[guarded(owner = "items.owner_id")]
            async fn guarded_update(mut guard: Guard<$db>, id: i64) -> Result<(), guarded::Error> {
                sqlx::query($update).bind(id).execute(&mut guard).await?;
                Ok(())
            }

            #[guarded(owner = "items.owner_id")]
            async fn guarded_delete(mut guard: Guard<$db>, id: i64) -> Result<(), guarded::Error> {
                sqlx::query($delete).bind(id).execute(&mut guard).await?;
                Ok(())
            }

            #[guarded(owner = "items.owner_id")]
            async fn transfer(
                mut guard: Guard<$db>,
                id: i64,
                to: &'static str,
            ) -> Result<(), guarded::Error> {
                sqlx::query($transfer)
                    .bind(to)
                    .bind(id)
                    .execute(&mut guard)
                    .await?;
                Ok(())
            }

            /// The bug this crate exists for: the decision is made on a row the database may
            /// change before the write lands.
            async fn naive_check(
                pool: &Pool<$db>,
                who: &str,
                id: i64,
            ) -> Result<bool, sqlx::Error> {
                let owner: Option<String> = sqlx::query_scalar($owner_of)
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
                // The window between check and use, widened a little so the test sees it
                // within a bounded number of trials (real handlers widen it with other work).
                yields(4).await;
                Ok(owner.as_deref() == Some(who))
            }

            async fn naive_update(
                pool: Pool<$db>,
                who: &'static str,
                id: i64,
            ) -> Result<(), sqlx::Error> {
                if naive_check(&pool, who, id).await? {
                    sqlx::query($update).bind(id).execute(&pool).await?;
                }
                Ok(())
            }

            async fn naive_delete(
                pool: Pool<$db>,
                who: &'static str,
                id: i64,
            ) -> Result<(), sqlx::Error> {
                if naive_check(&pool, who, id).await? {
                    sqlx::query($delete).bind(id).execute(&pool).await?;
                }
                Ok(())
            }

            async fn revoke(pool: Pool<$db>, id: i64) -> Result<u64, sqlx::Error> {
                let done = sqlx::query($revoke).bind(id).execute(&pool).await?;
                Ok(done.rows_affected())
            }
        }
    };
}

race_handlers!(
    sqlite,
    Sqlite,
    update = "UPDATE items SET title = 'written', written_under = owner_id WHERE id = ?",
    delete = "DELETE FROM items WHERE id = ?",
    owner_of = "SELECT owner_id FROM items WHERE id = ?",
    transfer = "UPDATE items SET owner_id = ? WHERE id = ?",
    revoke = "UPDATE items SET owner_id = 'revoked' WHERE id = ?"
);

race_handlers!(
    postgres,
    Postgres,
    update = "UPDATE items SET title = 'written', written_under = owner_id WHERE id = $1",
    delete = "DELETE FROM items WHERE id = $1",
    owner_of = "SELECT owner_id FROM items WHERE id = $1",
    transfer = "UPDATE items SET owner_id = $1 WHERE id = $2",
    revoke = "UPDATE items SET owner_id = 'revoked' WHERE id = $1"
);

race_handlers!(
    mariadb,
    MySql,
    update = "UPDATE items SET title = 'written', written_under = owner_id WHERE id = ?",
    delete = "DELETE FROM items WHERE id = ?",
    owner_of = "SELECT owner_id FROM items WHERE id = ?",
    transfer = "UPDATE items SET owner_id = ? WHERE id = ?",
    revoke = "UPDATE items SET owner_id = 'revoked' WHERE id = ?"
);
