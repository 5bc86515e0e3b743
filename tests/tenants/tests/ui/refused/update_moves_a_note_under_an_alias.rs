use guarded::{Guard, guarded};
use guarded_tenants::Member;
use sqlx::Any;

// The same move, the column spelled in another case through an alias.
#[guarded]
async fn move_note(mut guard: Guard<Any, Member>, id: i64, org: &str) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE notes AS n SET title = n.title, ORG_ID = ? WHERE n.id = ?")
        .bind(org)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
