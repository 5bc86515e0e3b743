use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>) -> Result<(), guarded::Error> {
    sqlx::query("REPLACE INTO items (id, title) VALUES (1, ?)").bind("t").execute(&mut guard).await?;
    Ok(())
}

fn main() {}
