use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

fn main() {}
