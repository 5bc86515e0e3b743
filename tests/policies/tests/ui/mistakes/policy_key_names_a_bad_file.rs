// A policy file that is not TOML: the error names the file, the line and the column.
use guarded::{Guard, guarded};
use sqlx::Any;

#[guarded(policy = "policy_key_names_a_bad_file.toml")]
async fn title(mut guard: Guard<Any>, id: i64) -> Result<Option<String>, guarded::Error> {
    let title = sqlx::query_scalar("SELECT title FROM items WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut guard)
        .await?;
    Ok(title)
}

fn main() {}
