// A fn whose SQL is refused still has its body type-checked in the same build: the refusal
// and the body's own type error come together, not in two waves.
use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<String, guarded::Error> {
    sqlx::query("ALTER TABLE items ADD COLUMN x TEXT").execute(&mut guard).await?;
    let (name,): (String,) = sqlx::query_as("SELECT name FROM items WHERE id = ?")
        .bind(id)
        .fetch_one(&mut guard)
        .await?;
    let length: u32 = name.len();
    Ok(name)
}

fn main() {}
