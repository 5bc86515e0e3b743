use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    assert!(sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await.is_ok());
    Ok(())
}

fn main() {}
