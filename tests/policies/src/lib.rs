//! Handlers of a small items service whose rules live in its `guarded.toml`: owners, shares,
//! an administrator role and token revocation. Each fn is written once on `Guard<Any>` and
//! runs on SQLite, PostgreSQL and MySQL/MariaDB; none of them spells a rule, and every
//! statement on `items` carries all of them.

use guarded::{Guard, GuardClaims, guarded};
use serde::Deserialize;
use sqlx::Any;

pub mod schema;

/// The item's title, when the caller owns it or it is shared with them.
#[guarded]
pub async fn title(mut guard: Guard<Any>, id: i64) -> Result<Option<String>, guarded::Error> {
    let title = sqlx::query_scalar("SELECT title FROM items WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut guard)
        .await?;
    Ok(title)
}

/// Renames an item the caller owns or may write through a share.
#[guarded]
pub async fn rename(mut guard: Guard<Any>, id: i64, title: &str) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(title)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Deletes an item the caller owns, or any item when the caller is an administrator now.
#[guarded]
pub async fn remove(mut guard: Guard<Any>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM items WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Deletes an item and answers its title: a delete returns what it deletes, so only an item
/// the caller may read (owned or shared) is deleted this way, whatever the delete grant says.
#[guarded]
pub async fn remove_returning(mut guard: Guard<Any>, id: i64) -> Result<String, guarded::Error> {
    let title = sqlx::query_scalar("DELETE FROM items WHERE id = ? RETURNING title")
        .bind(id)
        .fetch_one(&mut guard)
        .await?;
    Ok(title)
}

/// Creates an item owned by the caller. With a `[token] valid` condition the row comes from a
/// SELECT, whose WHERE takes the condition (VALUES has none).
#[guarded]
pub async fn create(mut guard: Guard<Any>, title: &str) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO items (title) SELECT ?")
        .bind(title)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// How many items the caller can see.
#[guarded]
pub async fn count(mut guard: Guard<Any>) -> Result<i64, guarded::Error> {
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM items")
        .fetch_one(&mut guard)
        .await?;
    Ok(n)
}

/// Gives an item to another user: it sets the owner column, so only the owner may, whatever
/// the item's update grant says.
#[guarded]
pub async fn transfer(mut guard: Guard<Any>, id: i64, to: &str) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET owner_id = ? WHERE id = ?")
        .bind(to)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Archives an item: afterwards every update of it is refused with 409 `archived`.
#[guarded]
pub async fn archive(mut guard: Guard<Any>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET archived = TRUE WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Renames an item if it is still at `version` (an `If-Match`), and moves it to the next one.
#[guarded]
pub async fn rename_if(
    mut guard: Guard<Any>,
    id: i64,
    title: &str,
    version: i64,
) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = ?, version = version + 1 WHERE id = ? AND version = ?")
        .bind(title)
        .bind(id)
        .bind(version)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Writes a note to `audit`, a table it declares unguarded: no owner predicate, but the
/// token's validity still decides.
#[guarded(unguarded = "audit")]
pub async fn note(mut guard: Guard<Any>, id: i64, text: &str) -> Result<(), guarded::Error> {
    sqlx::query("INSERT INTO audit (item_id, note) SELECT ?, ?")
        .bind(id)
        .bind(text)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// Claims that may name the token's session: the notes' delete grant binds `:sid`.
#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    /// The user.
    pub sub: String,
    /// The token's id.
    pub jti: Option<String>,
    /// When the token was issued.
    pub iat: Option<u64>,
    /// The session the token belongs to; a token may lack one.
    pub sid: Option<String>,
}

impl GuardClaims for Session {
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

/// Deletes a note the caller wrote, or any note of a team the caller moderates from a session
/// that is not suspended.
#[guarded]
pub async fn remove_note(mut guard: Guard<Any, Session>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM notes WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}
