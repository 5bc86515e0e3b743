use guarded::{guarded, Guard};
use sqlx::Sqlite;

// The guard must be bound to a name the statements run on.
#[guarded(owner = "items.owner_id")]
async fn handler(_: Guard<Sqlite>) -> Result<(), guarded::Error> {
    Ok(())
}

fn main() {}
