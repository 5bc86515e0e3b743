// The transactional expansion must not depend on anything the user's module shadows either.
#![allow(dead_code)]

mod sqlx {}
type Result<T> = ::core::result::Result<T, ()>;
struct Ok;
struct Err;
enum Option {}
fn same_fn() {}

#[guarded::guarded(owner = "items.owner_id")]
async fn handler(
    mut guard: guarded::Guard<::sqlx::Sqlite>,
    id: i64,
) -> ::core::result::Result<(), guarded::Error> {
    ::sqlx::query("UPDATE items SET title = 'x' WHERE id = ?").bind(id).execute(&mut guard).await?;
    ::sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await?;
    ::core::result::Result::Ok(())
}

fn main() {}
