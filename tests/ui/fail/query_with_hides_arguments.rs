use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, args: sqlx::sqlite::SqliteArguments) -> Result<(), guarded::Error> {
    sqlx::query_with("DELETE FROM items WHERE id = ?", args).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
