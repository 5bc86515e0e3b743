#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};
use sqlx::Executor;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let mut conn = pool.acquire().await?;
    let _ = conn.prepare("DELETE FROM items WHERE id = ?").await?;
    Ok(())
}

fn main() {}
