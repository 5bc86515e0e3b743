// Handlers stamped by a `macro_rules!` receive the database as `$db:ty`: an invisible group.
use guarded::{guarded, Guard};

macro_rules! handlers {
    ($name:ident, $db:ty, $sql:literal) => {
        #[guarded(owner = "items.owner_id")]
        #[allow(dead_code)]
        async fn $name(mut guard: Guard<$db>, id: i64) -> Result<(), guarded::Error> {
            sqlx::query($sql).bind(id).execute(&mut guard).await?;
            Ok(())
        }
    };
}

handlers!(delete_sqlite, sqlx::Sqlite, "DELETE FROM items WHERE id = ?");
handlers!(delete_postgres, sqlx::Postgres, "DELETE FROM items WHERE id = $1");


// The whole guard type as `$g:ty`.
macro_rules! handler_with_guard_type {
    ($name:ident, $g:ty) => {
        #[guarded(owner = "items.owner_id")]
        #[allow(dead_code)]
        async fn $name(mut guard: $g, id: i64) -> Result<(), guarded::Error> {
            sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await?;
            Ok(())
        }
    };
}

handler_with_guard_type!(delete_with_guard_type, Guard<sqlx::Sqlite>);

fn main() {}
