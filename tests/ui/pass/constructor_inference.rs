// sqlx's constructors confirmed by type still infer their database and row types, imported
// or not, with or without a turbofish.
use guarded::{guarded, Guard};
use sqlx::{query, query_as, query_scalar, Sqlite};

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<(), guarded::Error> {
    let _row: (i64, String) = sqlx::query_as::<_, (i64, String)>("SELECT id, title FROM items WHERE id = ?")
        .bind(id)
        .fetch_one(&mut guard)
        .await?;
    let _rows: Vec<(i64,)> = query_as("SELECT id FROM items").fetch_all(&mut guard).await?;
    let _n: i64 = query_scalar("SELECT count(*) FROM items").fetch_one(&mut guard).await?;
    let _t: Option<String> = sqlx::query_scalar::<Sqlite, String>("SELECT title FROM items WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut guard)
        .await?;
    query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
