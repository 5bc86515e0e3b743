// One mistake, one error: the owner after a bad key is not reported missing.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(deny = 500, owner = "items.owner_id")]
async fn handler(guard: Guard<Sqlite>) -> Result<(), guarded::Error> {
    let _ = &guard;
    Ok(())
}

fn main() {}
