#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>) -> Result<(), guarded::Error> {
    let _: (i64,) = sqlx::query_as("INSERT INTO items (title) VALUES (?)").bind("t").fetch_one(&mut guard).await?;
    Ok(())
}

fn main() {}
