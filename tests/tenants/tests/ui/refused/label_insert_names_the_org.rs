use guarded::{Guard, guarded};
use guarded_tenants::Member;
use sqlx::Any;

// A multi-row VALUES into the claim-scoped table may not name the organisation.
#[guarded]
async fn plant(mut guard: Guard<Any, Member>, note: i64, org: &str) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO labels (note_id, name, org_id) VALUES (?, 'a', ?), (?, 'b', ?)")
        .bind(note)
        .bind(org)
        .bind(note)
        .bind(org)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
