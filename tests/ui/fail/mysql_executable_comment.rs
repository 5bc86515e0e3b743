use guarded::{guarded, Guard};
use sqlx::MySql;

// MySQL runs the inside of /*! ... */ as SQL.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<MySql>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ? /*! OR 1 = 1 */")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
