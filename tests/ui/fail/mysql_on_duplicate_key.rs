use guarded::{guarded, Guard};
use sqlx::MySql;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<MySql>) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO items (id, title) VALUES (?, ?) ON DUPLICATE KEY UPDATE title = VALUES(title)")
        .bind(1_i64)
        .bind("t")
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
