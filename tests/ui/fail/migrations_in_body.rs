// Migrations run SQL from files the guard never sees.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    sqlx::migrate!("./migrations").run(&pool).await.map_err(|_| guarded::Error::Internal)?;
    Ok(())
}

fn main() {}
