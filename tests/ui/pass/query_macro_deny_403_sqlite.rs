// With `deny = 403` the values are hoisted into locals (the existence check binds them too);
// a query macro still gets them by value, as it takes its own references.
use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id", deny = 403)]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64, title: String) -> Result<(), guarded::Error> {
    sqlx::query!("UPDATE items SET title = ? WHERE id = ?", title, id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
