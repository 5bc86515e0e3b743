use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(guard: Guard<Sqlite>) -> u16 {
    let _ = guard;
    204
}

fn main() {}
