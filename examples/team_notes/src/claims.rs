//! The claims of a `team_notes` token: the worked example of a claims type of the app's own.
//!
//! `guarded` verifies a token (signature, `exp`, `nbf`, issuer, audience, a non-empty `sub`)
//! and then deserializes its payload into the `Guard`'s claims type, here `Guard<Any,
//! Member>`. The policy file binds that type's fields by name: `:sub` is what
//! [`GuardClaims::subject`] returns, the value every `owner` column is compared with; `:org`
//! is the field `org` below; `:jti` is what [`GuardClaims::jti`] returns. A field the policy
//! names must exist on the type, or the fn does not compile; a token whose payload lacks a
//! field that is not an `Option` is refused before any handler runs (401).

use guarded::GuardClaims;
use serde::Deserialize;

/// A verified token of a member of an organisation.
///
/// Both `sub` and `org` come from the token, so the token is what the statements trust; the
/// `members` table decides whether they fit together. A token for an organisation its user
/// has left, or never joined, passes verification and then sees no note: the scope in
/// `guarded.toml` reads `members` in every statement.
#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    /// The user: `:sub` in `guarded.toml`, the owner of the notes they create. Parsed as
    /// [`Claims`](guarded::Claims) parses its own: an empty `sub` refuses the token.
    #[serde(deserialize_with = "guarded::jwt::parse_subject")]
    pub sub: String,
    /// The organisation the token was issued for: `:org` in `guarded.toml`. Every statement
    /// on `notes` is limited to it, and every note created is created in it. Parsed as the
    /// subject is: an empty `org` refuses the token rather than naming no organisation.
    #[serde(deserialize_with = "guarded::jwt::parse_subject")]
    pub org: String,
    /// The token's id: `:jti`, what a logout stores in `revoked_tokens`.
    pub jti: Option<String>,
    /// Expiry, seconds since the epoch (already checked when the guard holds these claims):
    /// how long a logout's revocation has to be kept.
    pub exp: u64,
}

impl GuardClaims for Member {
    type Subject = String;

    fn subject(&self) -> &String {
        &self.sub
    }

    fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }
}
