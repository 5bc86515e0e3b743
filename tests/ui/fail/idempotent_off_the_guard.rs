use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id", unguarded = "audit")]
async fn handler(guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let _ = guard;
    let _: Option<(i64,)> = sqlx::query_as("SELECT id FROM audit WHERE id = ?")
        .bind(id)
        .idempotent()
        .fetch_optional(&pool)
        .await?;
    Ok(())
}

fn main() {}
