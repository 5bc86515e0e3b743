use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64, title: String) -> Result<(), guarded::Error> {
    let _ = (&id, &title);
    let _rows: Vec<(i64, String)> = sqlx::query_as("SELECT i.id, a.note FROM items i JOIN audit a ON a.item_id = i.id WHERE i.id = ?").bind(id).fetch_all(&mut guard).await?;
    Ok(())
}

fn main() {}
