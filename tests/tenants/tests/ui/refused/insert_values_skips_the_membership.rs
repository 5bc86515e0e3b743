use guarded::{Guard, guarded};
use guarded_tenants::Member;
use sqlx::Any;

// VALUES has no WHERE for the membership the scope checks on the new row.
#[guarded]
async fn create(mut guard: Guard<Any, Member>, title: &str) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO notes (title) VALUES (?)")
        .bind(title)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
