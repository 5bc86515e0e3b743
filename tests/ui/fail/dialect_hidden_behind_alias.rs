use guarded::{guarded, Guard};

type Db = sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(guard: Guard<Db>) -> Result<(), guarded::Error> {
    let _ = guard;
    Ok(())
}

fn main() {}
