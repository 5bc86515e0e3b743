// Behind an alias the type still decides: the dialect is confirmed against it.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

type Auth = Guard<sqlx::Postgres>;

#[guarded(owner = "items.owner_id", guard = "auth", dialect = "sqlite")]
async fn handler(mut auth: Auth, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut auth).await?;
    Ok(())
}

fn main() {}
