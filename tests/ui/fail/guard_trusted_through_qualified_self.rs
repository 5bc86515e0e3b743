// A qualified self names `Guard` without a path segment of that name.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(guard: Guard<Sqlite>, pool: SqlitePool) -> Result<(), guarded::Error> {
    let _other = <Guard<Sqlite>>::trusted(pool, guard.claims().clone());
    Ok(())
}

fn main() {}
