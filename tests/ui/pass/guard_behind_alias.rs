// A `Guard` behind a type alias is named with `guard = "..."`; the dialect then comes from
// the attribute and is confirmed against the type.
use guarded::{guarded, Guard};
use sqlx::Sqlite;

type Auth = Guard<Sqlite>;

#[guarded(owner = "items.owner_id", guard = "auth", dialect = "sqlite")]
#[allow(dead_code)]
async fn handler(mut auth: Auth, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut auth).await?;
    Ok(())
}

fn main() {}
