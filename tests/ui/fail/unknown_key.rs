use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id", ownr = "x")]
async fn handler(mut guard: Guard<Sqlite>) -> Result<(), guarded::Error> {

    Ok(())
}

fn main() {}
