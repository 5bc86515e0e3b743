// A guard parameter with a raw name keeps working in every place the expansion names it.
use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id", dialect = "sqlite")]
#[allow(dead_code)]
async fn handler(mut r#type: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let _who = r#type.subject();
    sqlx::query("UPDATE items SET title = 'x' WHERE id = ?").bind(id).execute(&mut r#type).await?;
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut r#type).await?;
    Ok(())
}

fn main() {}
