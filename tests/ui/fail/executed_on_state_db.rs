use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};
struct State { db: SqlitePool }
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, state: State, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = ? WHERE id = ?").bind("x").bind(id).execute(&state.db).await?;
    Ok(())
}

fn main() {}
