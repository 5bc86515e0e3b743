use guarded::{guarded, Guard};
use sqlx::Postgres;

// Zero rows could mean the item is another owner's or that no audit row matched.
#[guarded(owner = "items.owner_id", deny = 403)]
async fn handler(mut guard: Guard<Postgres>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = 'x' FROM audit WHERE audit.item_id = items.id AND items.id = $1")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
