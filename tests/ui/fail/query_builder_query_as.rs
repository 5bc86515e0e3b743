// build_query_as is a dynamic builder too.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let mut qb = sqlx::QueryBuilder::<Sqlite>::new("SELECT id FROM items");
    let _: Vec<(i64,)> = qb.build_query_as().fetch_all(&pool).await?;
    Ok(())
}

fn main() {}
