// A const is a value of unknown origin where it is used.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};
use sqlx::Executor;

const WIPE: &str = "DELETE FROM items";

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    pool.execute(WIPE).await?;
    Ok(())
}

fn main() {}
