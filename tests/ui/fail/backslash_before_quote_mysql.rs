use guarded::{guarded, Guard};
use sqlx::MySql;

// Where this string ends depends on the server's NO_BACKSLASH_ESCAPES.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<MySql>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query(r"UPDATE items SET title = 'it\'s' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
