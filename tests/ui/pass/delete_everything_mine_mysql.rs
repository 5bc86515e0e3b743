use guarded::{guarded, Guard};
use sqlx::MySql;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<MySql>, id: i64, title: String) -> Result<(), guarded::Error> {
    let _ = (&id, &title);
    sqlx::query("DELETE FROM items").execute(&mut guard).await?;
    Ok(())
}

fn main() {}
