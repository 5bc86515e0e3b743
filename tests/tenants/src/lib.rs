//! Handlers of a multi-tenant "team notes" service whose rules live in its `guarded.toml`: a
//! note is its author's, within the organisation the token names, while the author is a
//! member of it. Each fn is written once on `Guard<Any, Member>` and runs on SQLite,
//! PostgreSQL and MySQL/MariaDB (those a backend cannot run are typed to the ones that can);
//! none of them spells the tenant, and every statement on `notes` and `labels` carries it.

use guarded::{Guard, GuardClaims, guarded};
use serde::Deserialize;
use sqlx::Any;

pub mod schema;

/// The claims of the service's tokens: who, and in which organisation.
#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    /// The user.
    pub sub: String,
    /// The organisation the token acts in; a token may lack one (then every fn refuses it).
    pub org: Option<String>,
    /// The token's id.
    pub jti: Option<String>,
    /// When the token was issued.
    pub iat: Option<u64>,
}

impl GuardClaims for Member {
    type Subject = String;
    fn subject(&self) -> &String {
        &self.sub
    }
    fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }
    fn iat(&self) -> Option<u64> {
        self.iat
    }
}

/// A note's title, by id.
#[guarded]
pub async fn title(
    mut guard: Guard<Any, Member>,
    id: i64,
) -> Result<Option<String>, guarded::Error> {
    let title = sqlx::query_scalar("SELECT title FROM notes WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut guard)
        .await?;
    Ok(title)
}

/// The ids of the notes the caller sees.
#[guarded]
pub async fn list(mut guard: Guard<Any, Member>) -> Result<Vec<i64>, guarded::Error> {
    let ids = sqlx::query_scalar("SELECT id FROM notes ORDER BY id")
        .fetch_all(&mut guard)
        .await?;
    Ok(ids)
}

/// A note's title next to each of its labels: both tables of the JOIN carry their scope.
#[guarded]
pub async fn with_labels(
    mut guard: Guard<Any, Member>,
    id: i64,
) -> Result<Vec<(String, String)>, guarded::Error> {
    let rows = sqlx::query_as(
        "SELECT n.title, l.name FROM notes n JOIN labels l ON l.note_id = n.id \
         WHERE n.id = ? ORDER BY l.name",
    )
    .bind(id)
    .fetch_all(&mut guard)
    .await?;
    Ok(rows)
}

/// The labels of a note, the note found by a sub-select.
#[guarded]
pub async fn labels_of(
    mut guard: Guard<Any, Member>,
    id: i64,
) -> Result<Vec<String>, guarded::Error> {
    let names = sqlx::query_scalar(
        "SELECT l.name FROM labels l WHERE l.note_id IN (SELECT n.id FROM notes n WHERE n.id = ?) \
         ORDER BY l.name",
    )
    .bind(id)
    .fetch_all(&mut guard)
    .await?;
    Ok(names)
}

/// A note's title read through a CTE.
#[guarded]
pub async fn title_via_cte(
    mut guard: Guard<Any, Member>,
    id: i64,
) -> Result<Option<String>, guarded::Error> {
    let title = sqlx::query_scalar(
        "WITH visible AS (SELECT id, title FROM notes) SELECT v.title FROM visible v WHERE v.id = ?",
    )
    .bind(id)
    .fetch_optional(&mut guard)
    .await?;
    Ok(title)
}

/// Renames a note and moves it to its next version.
#[guarded]
pub async fn retitle(
    mut guard: Guard<Any, Member>,
    id: i64,
    title: &str,
) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE notes SET title = ?, version = version + 1 WHERE id = ?")
        .bind(title)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Renames a note and answers its new version.
#[guarded]
pub async fn retitle_returning(
    mut guard: Guard<Any, Member>,
    id: i64,
    title: &str,
) -> Result<i64, guarded::Error> {
    let version = sqlx::query_scalar(
        "UPDATE notes SET title = ?, version = version + 1 WHERE id = ? RETURNING version",
    )
    .bind(title)
    .bind(id)
    .fetch_one(&mut guard)
    .await?;
    Ok(version)
}

/// Deletes a note: its author, or an administrator of its organisation.
#[guarded]
pub async fn remove(mut guard: Guard<Any, Member>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM notes WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Writes a note in the token's organisation; the guard sets its author and organisation.
#[guarded]
pub async fn create(mut guard: Guard<Any, Member>, title: &str) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO notes (title) SELECT ?")
        .bind(title)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Copies a note the caller reads into a new note of theirs (INSERT ... SELECT from the table).
#[guarded]
pub async fn copy(mut guard: Guard<Any, Member>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO notes (title) SELECT n.title FROM notes n WHERE n.id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Writes two notes in one statement: a single SELECT over both titles (an INSERT from a
/// UNION is refused, and VALUES has no WHERE for the membership check).
#[guarded]
pub async fn create_two(
    mut guard: Guard<Any, Member>,
    a: &str,
    b: &str,
) -> Result<(), guarded::Error> {
    sqlx::query(
        "INSERT INTO notes (title) SELECT t.title FROM (SELECT ? AS title UNION ALL SELECT ?) t",
    )
    .bind(a)
    .bind(b)
    .execute(&mut guard)
    .await?;
    Ok(())
}

/// Writes the note `id`, or renames it when it exists (an upsert).
#[guarded]
pub async fn put(
    mut guard: Guard<Any, Member>,
    id: i64,
    title: &str,
) -> Result<(), guarded::Error> {
    sqlx::query(
        "INSERT INTO notes (id, title) SELECT ?, ? ON CONFLICT (id) DO UPDATE SET title = excluded.title",
    )
    .bind(id)
    .bind(title)
    .execute(&mut guard)
    .await?;
    Ok(())
}

/// Gives a note to another user of the same organisation.
#[guarded]
pub async fn transfer(
    mut guard: Guard<Any, Member>,
    id: i64,
    to: &str,
) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE notes SET owner_id = ? WHERE id = ?")
        .bind(to)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Puts two labels on a note in one multi-row INSERT; the guard sets their author and
/// organisation on each row.
#[guarded]
pub async fn label(
    mut guard: Guard<Any, Member>,
    note: i64,
    a: &str,
    b: &str,
) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO labels (note_id, name) VALUES (?, ?), (?, ?)")
        .bind(note)
        .bind(a)
        .bind(note)
        .bind(b)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// The names of every label of the token's organisation (a public read, within the scope).
#[guarded]
pub async fn label_names(mut guard: Guard<Any, Member>) -> Result<Vec<String>, guarded::Error> {
    let names = sqlx::query_scalar("SELECT name FROM labels ORDER BY name")
        .fetch_all(&mut guard)
        .await?;
    Ok(names)
}

/// Renames a label the caller wrote.
#[guarded]
pub async fn rename_label(
    mut guard: Guard<Any, Member>,
    id: i64,
    name: &str,
) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE labels SET name = ? WHERE id = ?")
        .bind(name)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}
