use guarded::{Guard, guarded};
use sqlx::Any;

// The read grant's sub-select says `shares s`: an `items` aliased `s` would be read there
// instead of the share.
#[guarded(policy = "../../../guarded.toml")]
async fn title(mut guard: Guard<Any>, id: i64) -> Result<Option<String>, guarded::Error> {
    let title = sqlx::query_scalar("SELECT s.title FROM items s WHERE s.id = ?")
        .bind(id)
        .fetch_optional(&mut guard)
        .await?;
    Ok(title)
}

fn main() {}
