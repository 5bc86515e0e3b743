#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::Sqlite;

// `fetch_one` sees the first row only: the second could have met another owner's row.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, a: i64, b: i64) -> Result<(), guarded::Error> {
    let _: (i64,) = sqlx::query_as(
        "INSERT INTO items (id, title) VALUES (?, 'x'), (?, 'x') ON CONFLICT (id) DO UPDATE SET title = excluded.title RETURNING id",
    )
    .bind(a)
    .bind(b)
    .fetch_one(&mut guard)
    .await?;
    Ok(())
}

fn main() {}
