#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{MySql, Postgres};

// A user variable assigned on every row MySQL reads would carry another owner's title out.
#[guarded(owner = "items.owner_id")]
async fn assigns(mut guard: Guard<MySql>) -> Result<(), guarded::Error> {
    sqlx::query("SELECT id FROM items WHERE (@t := title) IS NOT NULL").fetch_all(&mut guard).await?;
    Ok(())
}

// pg_notify would send another owner's title to a listener before the predicate ran.
#[guarded(owner = "items.owner_id")]
async fn notifies(mut guard: Guard<Postgres>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = 'x' WHERE id = $1 AND pg_notify('leak', title) IS NULL")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
