use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool) -> Result<(), guarded::Error> {
    use sqlx::Executor;
    pool.execute("DELETE FROM items").await?;
    Ok(())
}

fn main() {}
