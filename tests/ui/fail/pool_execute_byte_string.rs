#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};
use sqlx::Executor;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    pool.execute(std::str::from_utf8(b"DELETE FROM items").unwrap()).await?;
    Ok(())
}

fn main() {}
