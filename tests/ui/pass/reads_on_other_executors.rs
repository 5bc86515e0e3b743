// Off the guard, a literal written in the call that writes nothing and reads no guarded
// table may run, however the executor method is called.
use guarded::{guarded, Guard};
use sqlx::{Executor, Sqlite, SqlitePool};

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, pool: SqlitePool, id: i64) -> Result<(), guarded::Error> {
    pool.execute("SELECT 1").await?;
    let _ = pool.fetch_all("SELECT note FROM audit").await?;
    let _ = (&pool).fetch_optional("SELECT note FROM audit").await?;
    let _ = sqlx::Executor::fetch_all(&pool, "SELECT note FROM audit").await?;
    let _ = pool.fetch_all(sqlx::query("SELECT note FROM audit WHERE item_id = ?").bind(id)).await?;
    let mut conn = pool.acquire().await?;
    let _ = conn.fetch_one("SELECT count(*) FROM audit").await?;
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
