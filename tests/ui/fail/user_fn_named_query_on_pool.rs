#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

// Not sqlx's `query`: off the guard too, a recognised name is confirmed by type.
fn query(_sql: &'static str) -> sqlx::query::Query<'static, Sqlite, <Sqlite as sqlx::Database>::Arguments> {
    sqlx::query("DELETE FROM items")
}

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let _ = query("SELECT note FROM audit").fetch_all(&pool).await?;
    Ok(())
}

fn main() {}
