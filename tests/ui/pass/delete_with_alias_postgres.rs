use guarded::{guarded, Guard};
use sqlx::Postgres;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Postgres>, id: i64, title: String) -> Result<(), guarded::Error> {
    let _ = (&id, &title);
    sqlx::query("DELETE FROM items AS i WHERE i.id = $1").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
