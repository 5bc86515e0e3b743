#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let _ = <&SqlitePool as sqlx::Executor>::fetch_all(&pool, "SELECT id FROM items").await?;
    Ok(())
}

fn main() {}
