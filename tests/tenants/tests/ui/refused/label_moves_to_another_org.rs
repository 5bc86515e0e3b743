use guarded::{Guard, guarded};
use guarded_tenants::Member;
use sqlx::Any;

// A table scoped by the claim alone keeps its rows in their organisation too.
#[guarded]
async fn move_label(mut guard: Guard<Any, Member>, id: i64, org: &str) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE labels SET name = 'moved', org_id = ? WHERE id = ?")
        .bind(org)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
