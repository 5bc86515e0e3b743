use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner id")]
async fn handler(mut guard: Guard<Sqlite>) -> Result<(), guarded::Error> {

    Ok(())
}

fn main() {}
