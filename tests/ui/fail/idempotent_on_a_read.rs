use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let _: Option<(i64,)> = sqlx::query_as("SELECT id FROM items WHERE id = ?")
        .bind(id)
        .idempotent()
        .fetch_optional(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
