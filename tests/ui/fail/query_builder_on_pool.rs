// A QueryBuilder assembles SQL at run time: refused wherever it runs.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let mut qb = sqlx::QueryBuilder::<Sqlite>::new("DELETE FROM items WHERE id = ");
    qb.push_bind(id);
    qb.build().execute(&pool).await?;
    Ok(())
}

fn main() {}
