// A chain broken by a method the walker does not know is not a recognised statement.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).persistent(false).into_stream_maybe().execute(&pool).await?;
    Ok(())
}

fn main() {}
