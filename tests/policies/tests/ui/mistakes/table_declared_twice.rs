use guarded::{Guard, guarded};
use sqlx::Any;

// Two statements, one error: the file's, under the `policy` key.
#[guarded(policy = "table_declared_twice.toml")]
async fn rename(mut guard: Guard<Any>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = 'a' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    sqlx::query("UPDATE Items SET title = 'b' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
