use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64, title: String) -> Result<(), guarded::Error> {
    let _ = (&id, &title);
    let _v: i64 = sqlx::query_scalar("UPDATE items SET version = version + 1 WHERE id = ? RETURNING version").bind(id).fetch_one(&mut guard).await?;
    Ok(())
}

fn main() {}
