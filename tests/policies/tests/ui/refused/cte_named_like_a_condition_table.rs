use guarded::{Guard, guarded};
use sqlx::Any;

// A CTE named `shares` would stand for the shares table inside the grant's sub-select.
#[guarded(policy = "../../../guarded.toml")]
async fn title(mut guard: Guard<Any>, id: i64) -> Result<Option<String>, guarded::Error> {
    let title = sqlx::query_scalar(
        "WITH shares AS (SELECT id AS item_id, ? AS user_id FROM items) \
         SELECT title FROM items WHERE id = ?",
    )
    .bind("mallory")
    .bind(id)
    .fetch_optional(&mut guard)
    .await?;
    Ok(title)
}

fn main() {}
