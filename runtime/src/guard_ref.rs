//! What a `#[guarded]` fn's body sees of its guard.

use std::marker::PhantomData;

use crate::GuardedDb;
use crate::jwt::{Claims, GuardClaims};

/// The guard as the body of a `#[guarded]` fn sees it: the verified subject and claims, and
/// nothing that runs a statement.
///
/// The macro shadows the fn's `Guard` parameter with this view. The fn's statements already
/// run in its own scope (one transaction when it has several); a `Guard` handed on to another
/// guarded fn would open a second transaction that waits on the locks the first one holds,
/// while the first waits for the call to return: a deadlock (PostgreSQL waits on its own row
/// lock, SQLite answers "database is locked"). A `GuardRef` is not a `Guard` and cannot become
/// one, so that call does not compile. Call a plain fn taking the values it needs instead, or
/// write its statements in this fn.
pub struct GuardRef<'g, DB: GuardedDb, C: GuardClaims = Claims> {
    claims: &'g C,
    db: PhantomData<fn() -> DB>,
}

// Not derived: a derive would ask `DB: Copy`.
impl<DB: GuardedDb, C: GuardClaims> Clone for GuardRef<'_, DB, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<DB: GuardedDb, C: GuardClaims> Copy for GuardRef<'_, DB, C> {}

impl<DB: GuardedDb, C: GuardClaims + std::fmt::Debug> std::fmt::Debug for GuardRef<'_, DB, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardRef")
            .field("subject", &self.claims.subject())
            .finish_non_exhaustive()
    }
}

impl<'g, DB: GuardedDb, C: GuardClaims> GuardRef<'g, DB, C> {
    pub(crate) fn new(claims: &'g C) -> Self {
        Self {
            claims,
            db: PhantomData,
        }
    }

    /// The verified claims.
    pub fn claims(&self) -> &'g C {
        self.claims
    }

    /// The verified subject: the value bound to the owner column.
    pub fn subject(&self) -> &'g C::Subject {
        self.claims.subject()
    }
}
