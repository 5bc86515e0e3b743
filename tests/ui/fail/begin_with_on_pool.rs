// `begin_with` runs its statement unseen, in a second transaction beside the guard's.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(guard: Guard<Sqlite>, pool: SqlitePool) -> Result<(), guarded::Error> {
    let _tx = pool.begin_with("DELETE FROM items").await;
    Ok(())
}

fn main() {}
