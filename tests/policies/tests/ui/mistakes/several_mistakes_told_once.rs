// Every unknown key of the file in one error, told once for the crate: the second fn (which
// returns `impl IntoResponse`) adds nothing of its own.
use axum::response::IntoResponse;
use guarded::{Guard, guarded};
use sqlx::Any;

#[guarded(policy = "several_mistakes_told_once.toml")]
async fn title(mut guard: Guard<Any>, id: i64) -> Result<Option<String>, guarded::Error> {
    let title = sqlx::query_scalar("SELECT title FROM items WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut guard)
        .await?;
    Ok(title)
}

#[guarded(policy = "several_mistakes_told_once.toml")]
async fn remove(mut guard: Guard<Any>, id: i64) -> impl IntoResponse {
    sqlx::query("DELETE FROM items WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await
        .map(|_| ())
        .map_err(|e: guarded::Error| e)
}

fn main() {}
