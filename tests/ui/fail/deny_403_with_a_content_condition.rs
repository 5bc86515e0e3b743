#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::Sqlite;

// 403 against 404 would tell whether another owner's row 7 has this title.
#[guarded(owner = "items.owner_id", deny = 403)]
async fn handler(mut guard: Guard<Sqlite>, id: i64, title: String) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ? AND title LIKE ?")
        .bind(id)
        .bind(title)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
