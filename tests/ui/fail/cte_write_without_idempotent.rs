use guarded::{guarded, Guard};
use sqlx::Postgres;

// The count is one row whatever the DELETE matched: zero rows could not deny.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Postgres>, id: i64) -> Result<i64, guarded::Error> {
    let n: i64 = sqlx::query_scalar("WITH d AS (DELETE FROM items WHERE id = $1 RETURNING id) SELECT count(*) FROM d")
        .bind(id)
        .fetch_one(&mut guard)
        .await?;
    Ok(n)
}

fn main() {}
