use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>) -> Result<(), guarded::Error> {
    sqlx::query("BEGIN").execute(&mut guard).await?;
    Ok(())
}

fn main() {}
