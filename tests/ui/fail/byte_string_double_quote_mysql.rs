use guarded::{guarded, Guard};
use sqlx::MySql;

// The parser reads a byte string without escapes; MariaDB a column `B` and a `"..."` string.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<MySql>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query(r#"SELECT title FROM items WHERE id = ? AND title <> B"\" OR 1 = 1 -- ""#)
        .bind(id)
        .fetch_all(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
