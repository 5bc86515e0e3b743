#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(guard: Guard<Sqlite>) -> Result<(), guarded::Error> {
    let _ = Guard::<Sqlite>::from_request_parts;
    Ok(())
}

fn main() {}
