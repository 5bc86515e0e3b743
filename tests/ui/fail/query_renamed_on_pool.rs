// A constructor under another name is not recognised, so what it runs is unknown.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};
use sqlx::query as q;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    q("DELETE FROM items WHERE id = ?").bind(id).execute(&pool).await?;
    Ok(())
}

fn main() {}
