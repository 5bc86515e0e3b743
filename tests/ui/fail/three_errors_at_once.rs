use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

// Every problem of one fn is reported together, each under its own tokens.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("TRUNCATE items").execute(&mut guard).await?;
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&pool).await?;
    sqlx::query("INSERT INTO items (title, owner_id) VALUES ('t', 'x')").execute(&mut guard).await?;
    Ok(())
}

fn main() {}
