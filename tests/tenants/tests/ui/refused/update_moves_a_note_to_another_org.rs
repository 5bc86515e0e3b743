use guarded::{Guard, guarded};
use guarded_tenants::Member;
use sqlx::Any;

// The owner moving her note to another organisation: no UPDATE sets a column the scope reads.
#[guarded]
async fn move_note(mut guard: Guard<Any, Member>, id: i64, org: &str) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE notes SET org_id = ? WHERE id = ?")
        .bind(org)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
