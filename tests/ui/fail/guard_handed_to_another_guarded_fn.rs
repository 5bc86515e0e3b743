#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn rename(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = 'x' WHERE id = ?").bind(id).execute(&mut guard).await?;
    Ok(())
}

// The inner fn would open a second transaction that waits on this one's locks: inside the
// body `guard` is a `GuardRef` (the claims and subject), which is not a `Guard`.
#[guarded(owner = "items.owner_id")]
async fn rename_twice(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = 'y' WHERE id = ?").bind(id).execute(&mut guard).await?;
    rename(guard, id).await
}

fn main() {}
