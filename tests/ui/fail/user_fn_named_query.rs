#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

// Not sqlx's `query`: the guard must not hand it its connection.
fn query(_sql: &'static str) -> sqlx::query::Query<'static, Sqlite, <Sqlite as sqlx::Database>::Arguments> {
    sqlx::query("DELETE FROM items")
}

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    query("SELECT id FROM items WHERE id = ?").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
