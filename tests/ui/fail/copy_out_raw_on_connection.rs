// A COPY out reads every owner's rows, through the path of the connection's type.
#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::Postgres;

#[guarded(owner = "items.owner_id")]
async fn export(guard: Guard<Postgres>, pool: PgPool) -> Result<(), guarded::Error> {
    let mut conn = pool.acquire().await.unwrap();
    let _rows = PgConnection::copy_out_raw(&mut conn, "COPY items TO STDOUT").await;
    Ok(())
}

fn main() {}
