// A method that runs SQL taken as a value cannot be followed.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let run = sqlx::Executor::execute;
    run(&pool, "SELECT 1").await?;
    Ok(())
}

fn main() {}
