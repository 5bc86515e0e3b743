use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use guarded::{Guard, guarded};
use sqlx::{Executor, Sqlite, SqlitePool};

pub fn router(pool: SqlitePool) -> Router {
    Router::new()
        .route("/notes/{id}", put(rename).delete(remove))
        .route("/notes", post(create_unguarded))
        .route("/notes/{id}/touch", post(touch))
        .nest("/admin", admin())
        .with_state(pool)
}

fn admin() -> Router<SqlitePool> {
    Router::new().route("/stats", get(stats))
}

#[guarded]
async fn rename(mut guard: Guard<Sqlite>, Path(id): Path<i64>, title: String) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE notes SET title = ?, version = version + 1 WHERE id = ?")
        .bind(title)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

// A fn reading a policy file of its own: the listing and the SARIF log must show it.
#[guarded(policy = "archive.toml")]
async fn restore(mut guard: Guard<Sqlite>, Path(id): Path<i64>) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE notes SET archived = 0 WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

#[guarded(deny = 403)]
async fn remove(mut guard: Guard<Sqlite>, Path(id): Path<i64>) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM notes WHERE id = ?")
        .bind(id)
        .idempotent()
        .execute(&mut guard)
        .await?;
    Ok(())
}

// The macro refuses this fn: its SQL is not a literal.
#[guarded]
async fn refused(mut guard: Guard<Sqlite>, sql: String) -> Result<(), guarded::Error> {
    sqlx::query(&sql).execute(&mut guard).await?;
    Ok(())
}

// A handler that takes no guard and writes with the pool.
async fn create_unguarded(State(pool): State<SqlitePool>, title: String) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO notes (title, owner_id) VALUES (?, 'anyone')") // planted: pool-in-handler
        .bind(title)
        .execute(&pool)
        .await?;
    Ok(())
}

// A handler that hands the pool to a helper, and writes in a spawned task.
async fn touch(State(pool): State<SqlitePool>, Path(id): Path<i64>) -> Result<(), sqlx::Error> {
    bump(&pool, id).await?;
    let spawned = pool.clone();
    tokio::spawn(async move {
        let _ = sqlx::query("UPDATE notes SET version = version + 1 WHERE id = ?") // planted: spawned
            .bind(id)
            .execute(&spawned)
            .await;
    });
    Ok(())
}

async fn bump(pool: &SqlitePool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE notes SET title = title WHERE id = ?", id) // planted: helper-macro
        .execute(pool)
        .await?;
    Ok(())
}

async fn stats(State(pool): State<SqlitePool>) -> Result<String, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notes") // planted: read
        .fetch_one(&pool)
        .await?;
    Ok(n.to_string())
}

pub async fn wipe(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::raw_sql("DELETE FROM notes; DELETE FROM shares") // planted: raw-sql
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn run(pool: &SqlitePool, statement: &str) -> Result<(), sqlx::Error> {
    pool.execute(statement).await?; // planted: dynamic
    Ok(())
}

pub async fn migrate(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    pool.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, owner_id TEXT, version INTEGER)") // planted: allowed
        .await?;
    Ok(())
}

pub async fn import(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    let copy = conn.copy_in_raw("COPY notes FROM STDIN").await?; // planted: copy
    copy.finish().await?;
    Ok(())
}
