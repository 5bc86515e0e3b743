// The return type is read by the type system, through any alias.
use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[derive(Debug)]
#[allow(dead_code)]
struct AppError(guarded::Error);

impl From<guarded::Error> for AppError {
    fn from(e: guarded::Error) -> Self {
        Self(e)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self(e.into())
    }
}

type AppResult<T> = Result<T, AppError>;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn single(mut guard: Guard<Sqlite>, id: i64) -> AppResult<u64> {
    let done = sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await?;
    Ok(done.rows_affected())
}

// Two statements: the transactional path, whose BEGIN can fail before the body runs.
#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn transactional(mut guard: Guard<Sqlite>, id: i64) -> AppResult<()> {
    sqlx::query("UPDATE items SET title = 'a' WHERE id = ?").bind(id).execute(&mut guard).await?;
    sqlx::query("UPDATE items SET title = 'b' WHERE id = ?").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
