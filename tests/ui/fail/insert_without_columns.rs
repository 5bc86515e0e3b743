use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO items VALUES (1, ?, ?)").bind("t").bind("x").execute(&mut guard).await?;
    Ok(())
}

fn main() {}
