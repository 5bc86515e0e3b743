// A guarded fn handing its guard to another: told why not and what to write instead.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn rename(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = 'x' WHERE id = ?").bind(id).execute(&mut guard).await?;
    Ok(())
}

#[guarded(owner = "items.owner_id")]
async fn handler(guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    rename(guard, id).await?;
    Ok(())
}

fn main() {}
