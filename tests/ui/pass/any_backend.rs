// A fn for every backend: each statement is written once with `?` placeholders, and each
// executor method, `deny = 403` and a guard behind an alias work on `Guard<Any>`.
use guarded::{guarded, Guard};
use sqlx::Any;

type AnyGuard = Guard<Any>;

#[guarded(owner = "items.owner_id", deny = 403)]
#[allow(dead_code)]
async fn every_method(mut guard: Guard<Any>, id: i64, title: String) -> Result<(), guarded::Error> {
    let _: (i64, String) = sqlx::query_as("SELECT id, title FROM items WHERE id = ?")
        .bind(id)
        .fetch_one(&mut guard)
        .await?;
    let _: Option<i64> = sqlx::query_scalar("SELECT id FROM items WHERE id > ? LIMIT ?")
        .bind(id)
        .bind(5_i64)
        .fetch_optional(&mut guard)
        .await?;
    let _: Vec<(i64,)> = sqlx::query_as("SELECT id FROM items").fetch_all(&mut guard).await?;
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(title)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

#[guarded(owner = "items.owner_id", dialect = "any", guard = "g")]
#[allow(dead_code)]
async fn behind_an_alias(mut g: AnyGuard, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut g).await?;
    Ok(())
}

fn main() {}
