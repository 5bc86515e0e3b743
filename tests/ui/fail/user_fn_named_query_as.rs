#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

fn query_as(_sql: &'static str) -> sqlx::query::QueryAs<'static, Sqlite, (i64,), <Sqlite as sqlx::Database>::Arguments> {
    sqlx::query_as("DELETE FROM items RETURNING id")
}

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let _: (i64,) = query_as("SELECT id FROM items WHERE id = ?").bind(id).fetch_one(&mut guard).await?;
    Ok(())
}

fn main() {}
