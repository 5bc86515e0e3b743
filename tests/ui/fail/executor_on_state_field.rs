#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};
use sqlx::Executor;

struct State {
    db: SqlitePool,
}

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, state: State) -> Result<(), guarded::Error> {
    state.db.execute("DELETE FROM items").await?;
    Ok(())
}

fn main() {}
