// Only the guard parameter itself is the guard.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let g = &mut guard;
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(g).await?;
    Ok(())
}

fn main() {}
