#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::{Sqlite, SqlitePool};

type Auth = Guard<Sqlite>;

#[guarded(owner = "items.owner_id", guard = "guard", dialect = "sqlite")]
async fn handler(auth: Auth) -> Result<(), guarded::Error> {
    let _ = &auth;
    Ok(())
}

fn main() {}
