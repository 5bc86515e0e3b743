#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};
use sqlx::Executor;

fn query(_sql: &'static str) -> sqlx::query::Query<'static, Sqlite, <Sqlite as sqlx::Database>::Arguments> {
    sqlx::query("DELETE FROM items")
}

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let _ = pool.fetch_all(query("SELECT note FROM audit")).await?;
    Ok(())
}

fn main() {}
