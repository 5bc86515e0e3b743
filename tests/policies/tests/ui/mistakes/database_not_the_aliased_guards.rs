// `[database] dialect` stands in for a per-fn `dialect` when the guard's type is an alias, and
// is confirmed by type: this alias is a `Guard<Any>`, not PostgreSQL's.
use guarded::{Guard, guarded};
use sqlx::Any;

type Auth = Guard<Any>;

#[guarded(guard = "guard", policy = "database_not_the_aliased_guards.toml")]
async fn title(mut guard: Auth, id: i64) -> Result<Option<String>, guarded::Error> {
    let title = sqlx::query_scalar("SELECT title FROM items WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut guard)
        .await?;
    Ok(title)
}

fn main() {}
