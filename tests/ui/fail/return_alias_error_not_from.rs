// An alias is read through by the type system, which then requires From<guarded::Error>.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[derive(Debug)]
struct AppError;
type AppResult<T> = Result<T, AppError>;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await.map_err(|_| AppError)?;
    Ok(())
}

fn main() {}
