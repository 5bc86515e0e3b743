use guarded::{guarded, Guard};
use sqlx::Any;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Any>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = $1").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
