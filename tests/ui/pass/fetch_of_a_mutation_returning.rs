// A mutation with RETURNING yields rows: every fetch is fine.
use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let _: Option<(i64,)> = sqlx::query_as("UPDATE items SET title = 'x' WHERE id = ? RETURNING id")
        .bind(id)
        .fetch_optional(&mut guard)
        .await?;
    let _: Vec<(i64,)> = sqlx::query_as("DELETE FROM items WHERE id = ? RETURNING id")
        .bind(id)
        .fetch_all(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
