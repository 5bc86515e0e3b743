use guarded::Guard;
use sqlx::Sqlite;

// No #[guarded]: the guard hands out no connection, so the write cannot compile.
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
