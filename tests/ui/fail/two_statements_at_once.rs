// The guard runs one statement at a time: the error names the guard, under the second use.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let a = sqlx::query("UPDATE items SET title = 'a' WHERE id = ?").bind(id).execute(&mut guard);
    let b = sqlx::query("UPDATE items SET title = 'b' WHERE id = ?").bind(id).execute(&mut guard);
    a.await?;
    b.await?;
    Ok(())
}

fn main() {}
