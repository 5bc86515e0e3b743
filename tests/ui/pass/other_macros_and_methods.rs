// Macros and methods that do not run SQL are left alone, data strings included.
use std::collections::HashMap;

use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64, tags: HashMap<String, String>) -> Result<(), guarded::Error> {
    let label = tags.get("delete").cloned().unwrap_or_else(|| "select".to_owned());
    let list = vec![label.clone(), String::from("update")];
    println!("{id} {list:?} {}", "DROP TABLE items");
    tracing::info!(%label, "begin");
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(&label)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
