use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id", public_read = "audit")]
async fn handler(guard: Guard<Sqlite>) -> Result<(), guarded::Error> {
    let _ = guard;
    Ok(())
}

fn main() {}
