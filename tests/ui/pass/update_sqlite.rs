use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64, title: String) -> Result<(), guarded::Error> {
    let _ = (&id, &title);
    sqlx::query("UPDATE items SET title = ? WHERE id = ? LIMIT ?").bind(&title).bind(id).bind(1_i64).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
