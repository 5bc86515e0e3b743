#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let run = move |id: i64| sqlx::query("UPDATE items SET title = 'a' WHERE id = ?").bind(id).execute(&mut guard);
    run(id).await?;
    run(id + 1).await?;
    Ok(())
}

fn main() {}
