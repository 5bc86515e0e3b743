use guarded::{guarded, Guard};
use sqlx::Sqlite;

// A mistake of the user's own inside a guarded body is reported on the user's line, not on
// the attribute: the macro keeps the user's spans.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let title: String = 42;
    sqlx::query("UPDATE items SET title = ? WHERE id = ?").bind(&title).bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
