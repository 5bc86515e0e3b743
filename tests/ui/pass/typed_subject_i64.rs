use guarded::{guarded, Claims, Guard};
use sqlx::Postgres;

// A numeric owner column: the subject is parsed from `sub` as an i64 while verifying.
#[guarded(owner = "accounts.user_id")]
#[allow(dead_code)]
async fn handler(mut guard: Guard<Postgres, Claims<i64>>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE accounts SET balance = 0 WHERE id = $1").bind(id).execute(&mut guard).await?;
    Ok(())
}

fn main() {}
