use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET WHERE id = ?").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
