use guarded::{Guard, guarded};
use sqlx::Any;

#[guarded(policy = "claim_named_like_a_keyword.toml")]
async fn title(mut guard: Guard<Any>, id: i64) -> Result<Option<String>, guarded::Error> {
    let title = sqlx::query_scalar("SELECT title FROM items WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut guard)
        .await?;
    Ok(title)
}

fn main() {}
