use guarded::{guarded, Guard};
use sqlx::Postgres;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Postgres>, id: i64, title: String) -> Result<(), guarded::Error> {
    let _ = (&id, &title);
    sqlx::query("INSERT INTO items (id, title) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET title = excluded.title").bind(id).bind(&title).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
