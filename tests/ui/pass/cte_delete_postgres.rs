use guarded::{guarded, Guard};
use sqlx::Postgres;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Postgres>, id: i64, title: String) -> Result<(), guarded::Error> {
    let _ = (&id, &title);
    let _ids: Vec<i64> = sqlx::query_scalar("WITH d AS (DELETE FROM items WHERE id = $1 RETURNING id) SELECT id FROM d").bind(id).idempotent().fetch_all(&mut guard).await?;
    Ok(())
}

fn main() {}
