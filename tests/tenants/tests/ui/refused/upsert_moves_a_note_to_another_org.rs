use guarded::{Guard, guarded};
use guarded_tenants::Member;
use sqlx::Any;

// The update of an upsert may not move the conflicting row either.
#[guarded]
async fn put(mut guard: Guard<Any, Member>, id: i64, org: &str) -> Result<(), guarded::Error> {
    sqlx::query(
        "INSERT INTO notes (id, title) SELECT ?, 'x' ON CONFLICT (id) DO UPDATE SET org_id = ?",
    )
    .bind(id)
    .bind(org)
    .execute(&mut guard)
    .await?;
    Ok(())
}

fn main() {}
