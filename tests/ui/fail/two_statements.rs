use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ?; DELETE FROM audit").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
