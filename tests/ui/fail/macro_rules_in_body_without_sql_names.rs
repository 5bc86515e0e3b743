// Any macro defined in the body is refused: what its calls expand to is not visible.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    macro_rules! twice {
        ($e:expr) => {
            ($e, $e)
        };
    }
    let _ = twice!(id);
    Ok(())
}

fn main() {}
