use guarded::{guarded, Guard};
use sqlx::Any;

// MySQL ends the string at the backslash-escaped quote; SQLite and PostgreSQL do not.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Any>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE title = 'a\\' AND id = ?").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
