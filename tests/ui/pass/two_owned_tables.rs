// Two guarded tables, each with its own owner column, in one fn and in one statement.
use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id, favorites.user_id")]
#[allow(dead_code)]
async fn favorites(mut guard: Guard<Sqlite>, item: i64) -> Result<Vec<(i64,)>, guarded::Error> {
    sqlx::query("INSERT INTO favorites (item_id) SELECT id FROM items WHERE id = ?")
        .bind(item)
        .execute(&mut guard)
        .await?;
    let rows = sqlx::query_as("SELECT f.item_id FROM favorites f JOIN items i ON i.id = f.item_id")
        .fetch_all(&mut guard)
        .await?;
    Ok(rows)
}

fn main() {}
