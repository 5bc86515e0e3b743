// Optional sign-in belongs to the handler: a guarded fn runs for a principal.
use guarded::{guarded, Guard};
use sqlx::Sqlite;

#[guarded(owner = "items.owner_id")]
async fn title(guard: Option<Guard<Sqlite>>, id: i64) -> Result<String, guarded::Error> {
    let _ = (guard, id);
    Ok(String::new())
}

fn main() {}
