//! `team_notes`: a multi-tenant notes API written with `guarded`.
//!
//! A token names a user (`sub`) and the organisation it was issued for (`org`, a field of the
//! app's claims type [`Member`]). The package's `guarded.toml` scopes the `notes` table to
//! that organisation and to its members, and every `#[guarded]` handler's statements carry
//! that scope, whatever SQL the handler wrote.
//!
//! A note never leaves its organisation: an UPDATE that assigns `org_id` does not compile.
//! A handler as it would be written to move a note, refused at build time:
//!
//! ```compile_fail
//! use guarded::{Guard, guarded};
//! use sqlx::Any;
//! use team_notes::Member;
//!
//! #[guarded]
//! async fn move_note(mut guard: Guard<Any, Member>, id: i64, to: String) -> Result<(), guarded::Error> {
//!     sqlx::query("UPDATE notes SET org_id = ? WHERE id = ?")
//!         .bind(to)
//!         .bind(id)
//!         .execute(&mut guard)
//!         .await?;
//!     Ok(())
//! }
//! ```
//!
//! Nor is a note created in another organisation than the token's: `org_id` is set from
//! `:org` on every INSERT, and naming it is refused at build time too:
//!
//! ```compile_fail
//! use guarded::{Guard, guarded};
//! use sqlx::Any;
//! use team_notes::Member;
//!
//! #[guarded]
//! async fn create_elsewhere(mut guard: Guard<Any, Member>, org: String) -> Result<(), guarded::Error> {
//!     sqlx::query("INSERT INTO notes (title, org_id) SELECT 'hello', ?")
//!         .bind(org)
//!         .execute(&mut guard)
//!         .await?;
//!     Ok(())
//! }
//! ```
//!
//! The same UPDATE setting another column compiles (and is what `PUT /notes/{id}` runs):
//!
//! ```no_run
//! use guarded::{Guard, guarded};
//! use sqlx::Any;
//! use team_notes::Member;
//!
//! #[guarded]
//! async fn rename_note(mut guard: Guard<Any, Member>, id: i64, to: String) -> Result<(), guarded::Error> {
//!     sqlx::query("UPDATE notes SET title = ? WHERE id = ?")
//!         .bind(to)
//!         .bind(id)
//!         .execute(&mut guard)
//!         .await?;
//!     Ok(())
//! }
//! ```

mod claims;
mod http;
mod routes;
mod schema;
mod token;

use axum::extract::FromRef;
use guarded::Verifier;
use sqlx::AnyPool;

pub use claims::Member;
pub use routes::router;
pub use schema::{MEMBERS, connect};
pub use token::{AUDIENCE, ISSUER, mint, random_hex, verifier};

/// The router state: the pool and the token verifier, each handed to the `Guard` extractor.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// The database every handler runs on.
    pub pool: AnyPool,
    /// Verifies each request's bearer token into [`Member`] claims.
    pub verifier: Verifier,
}
