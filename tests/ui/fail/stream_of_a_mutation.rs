use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let _ = sqlx::query("DELETE FROM items WHERE id = ?").bind(id).fetch(&mut guard);
    Ok(())
}

fn main() {}
