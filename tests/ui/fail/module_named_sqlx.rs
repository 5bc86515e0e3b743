#![allow(unused_imports)]
use guarded::{guarded, Guard};
use ::sqlx::Sqlite;

// A module that spells `sqlx::query` but is not sqlx.
mod sqlx {
    pub fn query(_sql: &'static str) -> ::sqlx::query::Query<'static, ::sqlx::Sqlite, <::sqlx::Sqlite as ::sqlx::Database>::Arguments> {
        ::sqlx::query("DELETE FROM items")
    }
}

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
