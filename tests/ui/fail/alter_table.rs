use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>) -> Result<(), guarded::Error> {
    sqlx::query("ALTER TABLE items ADD COLUMN x TEXT").execute(&mut guard).await?;
    Ok(())
}

fn main() {}
