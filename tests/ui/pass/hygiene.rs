// The expansion must not depend on anything the user's module shadows.
#![allow(dead_code)]

mod sqlx {}
type Result<T> = ::core::result::Result<T, ()>;
struct Ok;
enum Option {}

#[guarded::guarded(owner = "items.owner_id")]
async fn handler(
    mut guard: guarded::Guard<::sqlx::Sqlite>,
    id: i64,
) -> ::core::result::Result<(), guarded::Error> {
    ::sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await?;
    ::core::result::Result::Ok(())
}

fn main() {}
