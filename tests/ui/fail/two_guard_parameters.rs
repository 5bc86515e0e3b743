// A second guard could be handed on to another guarded fn.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(guard: Guard<Sqlite>, other: Guard<Sqlite>) -> Result<(), guarded::Error> {
    let _ = (&guard, &other);
    Ok(())
}

fn main() {}
