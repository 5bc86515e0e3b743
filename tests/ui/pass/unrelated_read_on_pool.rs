use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64, title: String) -> Result<(), guarded::Error> {
    let _ = (&id, &title);
    let _ = &mut guard;
    let pool: sqlx::SqlitePool = unimplemented!();
    let _n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit").fetch_one(&pool).await.map_err(guarded::Error::from)?;
    Ok(())
}

fn main() {}
