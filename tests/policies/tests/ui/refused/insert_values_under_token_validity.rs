use guarded::{Guard, guarded};
use sqlx::Any;

// `[token] valid` must be carried by every write; VALUES has no WHERE to carry it.
#[guarded(policy = "../../../guarded.toml")]
async fn create(mut guard: Guard<Any>, title: &str) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO items (title) VALUES (?)")
        .bind(title)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
