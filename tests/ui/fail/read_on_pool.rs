use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let _: (String,) = sqlx::query_as("SELECT title FROM items WHERE id = ?").bind(id).fetch_one(&pool).await?;
    Ok(())
}

fn main() {}
