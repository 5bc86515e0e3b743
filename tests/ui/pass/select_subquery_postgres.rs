use guarded::{guarded, Guard};
use sqlx::Postgres;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Postgres>, id: i64, title: String) -> Result<(), guarded::Error> {
    let _ = (&id, &title);
    let _n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit WHERE item_id IN (SELECT id FROM items WHERE title = $1)").bind(&title).fetch_one(&mut guard).await?;
    Ok(())
}

fn main() {}
