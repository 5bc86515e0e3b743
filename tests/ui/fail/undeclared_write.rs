use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO audit (item_id, note) VALUES (?, ?)").bind(id).bind("x").execute(&mut guard).await?;
    Ok(())
}

fn main() {}
