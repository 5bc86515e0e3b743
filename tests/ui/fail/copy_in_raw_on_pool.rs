// A COPY writes rows the guard never sees: any owner's, into the guarded table.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::postgres::{PgPool, PgPoolCopyExt};
use sqlx::Postgres;

#[guarded(owner = "items.owner_id")]
async fn import(guard: Guard<Postgres>, pool: PgPool) -> Result<(), guarded::Error> {
    let _copy = pool.copy_in_raw("COPY items (id, owner_id, title) FROM STDIN").await;
    Ok(())
}

fn main() {}
