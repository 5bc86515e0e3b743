use guarded::{Guard, guarded};
use guarded_tenants::Member;
use sqlx::Any;

// Planting a note in another organisation by naming it: the guard sets `org_id` from the claim.
#[guarded]
async fn plant(mut guard: Guard<Any, Member>, org: &str) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO notes (title, org_id) SELECT 'planted', ?")
        .bind(org)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
