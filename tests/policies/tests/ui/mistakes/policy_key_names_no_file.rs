// A fn whose policy file is missing does not compile: without it, its grants' limits and its
// token conditions would silently go.
use guarded::{Guard, guarded};
use sqlx::Any;

#[guarded(policy = "no_such_policy.toml")]
async fn title(mut guard: Guard<Any>, id: i64) -> Result<Option<String>, guarded::Error> {
    let title = sqlx::query_scalar("SELECT title FROM items WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut guard)
        .await?;
    Ok(title)
}

fn main() {}
