use guarded::{guarded, Guard};
use sqlx::Postgres;

// PostgreSQL reads `ONLY items`; the parser reads a table `ONLY` aliased `items`.
#[guarded(owner = "items.owner_id")]
async fn handler(mut guard: Guard<Postgres>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM ONLY items WHERE id = $1")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
