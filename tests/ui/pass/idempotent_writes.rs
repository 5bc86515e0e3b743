// `.idempotent()`: a guarded write that may match no row, per statement; inside a CTE it is
// what lets the write compile at all.
use guarded::{guarded, Guard};
use sqlx::{Postgres, Sqlite};

#[guarded(owner = "items.owner_id", deny = 403)]
#[allow(dead_code)]
async fn unfollow(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).idempotent().execute(&mut guard).await?;
    Ok(())
}

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn delete_counted(mut guard: Guard<Postgres>, id: i64) -> Result<i64, guarded::Error> {
    let n: i64 = sqlx::query_scalar("WITH d AS (DELETE FROM items WHERE id = $1 RETURNING id) SELECT count(*) FROM d")
        .bind(id)
        .idempotent()
        .fetch_one(&mut guard)
        .await?;
    Ok(n)
}

fn main() {}
