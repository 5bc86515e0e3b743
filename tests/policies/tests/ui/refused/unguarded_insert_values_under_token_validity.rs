use guarded::{Guard, guarded};
use sqlx::Any;

// A write to an unguarded table carries `[token] valid` too.
#[guarded(unguarded = "audit", policy = "../../../guarded.toml")]
async fn note(mut guard: Guard<Any>, id: i64, text: &str) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO audit (item_id, note) VALUES (?, ?)")
        .bind(id)
        .bind(text)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
