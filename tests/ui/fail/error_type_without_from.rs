// An app's error without `From<guarded::Error>`: one error, under the return type, naming the
// impl to write; not one more per `?` on a guarded statement, nor at the attribute.
use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[derive(Debug)]
struct AppError;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE items SET title = 'a' WHERE id = ?").bind(id).execute(&mut guard).await?;
    let row: (i64,) = sqlx::query_as("SELECT id FROM items WHERE id = ?")
        .bind(id)
        .fetch_one(&mut guard)
        .await?;
    sqlx::query("DELETE FROM items WHERE id = ?").bind(row.0).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
