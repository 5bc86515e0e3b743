use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64, title: String) -> Result<(), guarded::Error> {
    let _ = (&id, &title);
    for n in 0..3_i64 {
        if n % 2 == 0 {
            sqlx::query("UPDATE items SET version = ? WHERE id = ?").bind(n).bind(id).execute(&mut guard).await?;
        } else {
            let _: Option<(i64,)> = sqlx::query_as("SELECT id FROM items WHERE id = ?").bind(id).fetch_optional(&mut guard).await?;
        }
    }
    async {
        sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await
    }.await?;
    Ok(())
}

fn main() {}
