// Under another name the builder is not seen, but running what it built is.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};
use sqlx::QueryBuilder as Qb;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    let mut qb = Qb::<Sqlite>::new("DELETE FROM items WHERE id = ");
    qb.push_bind(id);
    qb.build().execute(&pool).await?;
    Ok(())
}

fn main() {}
