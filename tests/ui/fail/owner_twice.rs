use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id, items.author_id")]
async fn handler(guard: Guard<Sqlite>) -> Result<(), guarded::Error> {
    let _ = guard;
    Ok(())
}

fn main() {}
