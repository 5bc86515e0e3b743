use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(deny = 404)]
async fn handler(mut guard: Guard<Sqlite>) -> Result<(), guarded::Error> {

    Ok(())
}

fn main() {}
