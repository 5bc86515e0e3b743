// A read of another table is fine, but run apart from where it was built it is a value of unknown origin.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let q = sqlx::query("SELECT note FROM audit");
    q.fetch_all(&pool).await?;
    Ok(())
}

fn main() {}
