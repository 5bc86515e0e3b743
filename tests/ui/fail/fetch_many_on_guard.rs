#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let _ = sqlx::query("SELECT id FROM items WHERE id = ?").bind(id).fetch_many(&mut guard);
    Ok(())
}

fn main() {}
