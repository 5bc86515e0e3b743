use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let sql = "DELETE FROM items WHERE id = ?";
    sqlx::query(sql).bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
