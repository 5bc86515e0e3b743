use guarded::{guarded, Guard};
use sqlx::Postgres;

// query_to_xml runs the SQL in its string: the whole table, unguarded.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Postgres>) -> Result<(), guarded::Error> {
    let _xml: String =
        sqlx::query_scalar("SELECT query_to_xml('SELECT * FROM items', true, true, '')::text")
            .fetch_one(&mut guard)
            .await?;
    Ok(())
}

fn main() {}
