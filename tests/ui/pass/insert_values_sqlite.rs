use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64, title: String) -> Result<(), guarded::Error> {
    let _ = (&id, &title);
    sqlx::query("INSERT INTO items (title) VALUES (?), (?)").bind(&title).bind("second").execute(&mut guard).await?;
    Ok(())
}

fn main() {}
