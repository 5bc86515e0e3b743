#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let wipe = |p: &SqlitePool| sqlx::query("DELETE FROM items").execute(p);
    wipe(&pool).await?;
    Ok(())
}

fn main() {}
