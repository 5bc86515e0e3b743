use guarded::{Guard, guarded};
use guarded_tenants::Member;
use sqlx::Any;

// A 403 would tell that the note exists, in another organisation.
#[guarded(deny = 403)]
async fn retitle(mut guard: Guard<Any, Member>, id: i64, title: &str) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE notes SET title = ? WHERE id = ?")
        .bind(title)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
