use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "owner_id")]
async fn handler(mut guard: Guard<Sqlite>) -> Result<(), guarded::Error> {

    Ok(())
}

fn main() {}
