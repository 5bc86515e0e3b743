use guarded::{guarded, Guard};
use sqlx::Postgres;

// The alias list renames `title` to `owner_id`: the predicate would compare the title.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Postgres>) -> Result<(), guarded::Error> {
    let _ids: Vec<i64> = sqlx::query_scalar("SELECT i.id FROM items AS i(id, owner_id) ")
        .fetch_all(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
