// Only literals that reach a query constructor or an executor are SQL: data strings that
// spell SQL keywords are data.
use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64, phase: String) -> Result<(), guarded::Error> {
    let phases = ["begin", "commit", "end", "analyze", "explain", "DELETE FROM items"];
    let title = if phases.contains(&phase.as_str()) { "end" } else { "begin" };
    let note = format!("{} {}", "commit", title);
    assert!(!note.is_empty(), "explain");
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(title)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
