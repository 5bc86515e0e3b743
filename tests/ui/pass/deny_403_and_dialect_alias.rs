use guarded::{guarded, Guard};

type Db = sqlx::Sqlite;

#[guarded(owner = "items.owner_id", deny = 403, dialect = "sqlite")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Db>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
