// The body reads the guard's subject and claims, copies the view, and passes it to plain fns,
// an awaited one included.
use guarded::{guarded, Guard, GuardRef};
use sqlx::Sqlite;

fn who(guard: GuardRef<'_, Sqlite>) -> String {
    guard.subject().clone()
}

async fn audit(guard: GuardRef<'_, Sqlite>, id: i64) -> String {
    format!("{} {id}", guard.subject())
}

#[guarded(owner = "items.owner_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Sqlite>, id: i64) -> Result<String, guarded::Error> {
    let copy = guard.clone();
    let _jti = &guard.claims().jti;
    sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await?;
    let line = audit(guard, id).await;
    Ok(format!("{} {} {line}", who(copy), guard.subject()))
}

fn main() {}
