use guarded::{guarded, Guard};
use sqlx::Postgres;

// The outer `items` would be the CTE, whose owner column is made up.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Postgres>, id: i64) -> Result<(), guarded::Error> {
    let _ids: Vec<i64> = sqlx::query_scalar(
        "WITH items AS (SELECT id, title, 'mallory' AS owner_id FROM items) SELECT id FROM items WHERE id = $1",
    )
    .bind(id)
    .fetch_all(&mut guard)
    .await?;
    Ok(())
}

fn main() {}
