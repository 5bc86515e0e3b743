#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id", guard = "the guard")]
async fn handler(guard: Guard<Sqlite>) -> Result<(), guarded::Error> {
    let _ = &guard;
    Ok(())
}

fn main() {}
