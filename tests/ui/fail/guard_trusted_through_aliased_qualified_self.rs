// An alias as a qualified self.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

type G = Guard<Sqlite>;

#[guarded(owner = "items.owner_id")]
async fn handler(guard: Guard<Sqlite>, pool: SqlitePool) -> Result<(), guarded::Error> {
    let _other = <G>::trusted(pool, guard.claims().clone());
    Ok(())
}

fn main() {}
