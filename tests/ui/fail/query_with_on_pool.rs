#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let args = sqlx::sqlite::SqliteArguments::default();
    sqlx::query_with("DELETE FROM items", args).execute(&pool).await?;
    Ok(())
}

fn main() {}
