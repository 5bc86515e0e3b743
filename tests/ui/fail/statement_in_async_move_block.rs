// A statement moved into a block that outlives its place: the error speaks of the guard.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let work = async move {
        sqlx::query("UPDATE items SET title = 'a' WHERE id = ?").bind(id).execute(&mut guard).await
    };
    work.await?;
    Ok(())
}

fn main() {}
