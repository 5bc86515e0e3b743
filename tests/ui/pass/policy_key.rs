use guarded::{guarded, Guard};
use sqlx::Sqlite;

// The fn's own policy file replaces the crate's `guarded.toml` (which declares
// `items.owner_id`): its `items` are owned by `author_id`, which the attribute repeats.
#[guarded(owner = "items.author_id", policy = "policy_key.toml")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64, title: String) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = ? WHERE id = ?").bind(&title).bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
