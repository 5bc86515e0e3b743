#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let _: Vec<(i64,)> = sqlx::query_as("DELETE FROM items WHERE id = ?").bind(id).fetch_all(&mut guard).await?;
    Ok(())
}

fn main() {}
