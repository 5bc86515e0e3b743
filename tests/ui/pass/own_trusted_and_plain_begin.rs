// A fn of the user's named `trusted`, called by its name alone, and a transaction of the
// user's begun without a statement, compile in a guarded fn.
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

mod audit {
    pub fn trusted(source: &str) -> bool {
        source == "internal"
    }
}

use audit::trusted;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let _internal = trusted("internal");
    let tx = pool.begin().await?;
    tx.commit().await?;
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
