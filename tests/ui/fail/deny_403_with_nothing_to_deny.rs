// `deny = 403` on a fn that only reads: nothing it runs can be denied, so the key is a mistake.
use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id", deny = 403)]
async fn title(mut guard: Guard<Sqlite>, id: i64) -> Result<String, guarded::Error> {
    let title = sqlx::query_scalar("SELECT title FROM items WHERE id = ?")
        .bind(id)
        .fetch_one(&mut guard)
        .await?;
    Ok(title)
}

fn main() {}
