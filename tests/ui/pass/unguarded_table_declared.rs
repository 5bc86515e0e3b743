use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id", unguarded = "audit")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = 'x' WHERE id = ?").bind(id).execute(&mut guard).await?;
    sqlx::query("INSERT INTO audit (item_id, note) VALUES (?, 'renamed')").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
