use guarded::{guarded, Guard};
use sqlx::MySql;

// The parser reads `--` before a no-break space as a comment; MariaDB reads two minus signs.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<MySql>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("SELECT title FROM items WHERE id = ? --\u{a0}x")
        .bind(id)
        .fetch_all(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
