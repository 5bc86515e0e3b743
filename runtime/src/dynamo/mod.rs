//! `Guard<DynamoDb>` (feature `dynamodb`): the owner condition in every request a guarded fn
//! sends through the AWS SDK's DynamoDB client.
//!
//! The fn writes the SDK's fluent builders on `guard.client()`; `#[guarded]` hands each
//! finished builder to this module instead of calling `send()`, and the module reads what the
//! builder holds and adds the guard's part before sending it:
//! - `update_item`, `delete_item`: `(<the fn's condition>) AND #owner = :subject`;
//! - `put_item`: the owner attribute set to the subject, and the condition "no such item, or
//!   mine" (`attribute_not_exists(#owner) OR #owner = :subject`), so no put takes over
//!   another owner's item;
//! - `get_item`: an item of another owner is a denial, never returned;
//! - every write: the conditions of the table's policy that name it (`archived`), AND-ed
//!   with the owner's;
//! - `query`, `scan`: `#owner = :subject` AND-ed into the filter;
//! - `transact_write_items`: each item conditioned as above; one refusal denies them all;
//! - with the policy's `[token] valid`: every write sent as one transaction with a
//!   `ConditionCheck` per check ([`Check`]), every read checked after it answered;
//! - with a table's `grant`: a write refused on another owner's item tried once more under
//!   the grant, its check in the transaction, or the grant's attempt first when the caller's
//!   last write landed by it (see `order`); a `get_item` of another's item reads the grant's;
//! - with a table's `scope`: each attribute it sets compared with the caller's claim wherever
//!   the owner is (a query's key condition may pin it instead), set from the claim by every
//!   put and written by no update; an item of another scope is a 404 (see `scope`);
//! - on an `unguarded` table: the request as written, with the token's checks.
//!
//! The placeholders are named `#guarded_owner` and `:guarded_subject`, or with a numbered
//! suffix when the fn's own maps already use those names. A refused condition is told apart
//! from the item the database returns with it (`ReturnValuesOnConditionCheckFailure =
//! ALL_OLD`), without a second read: no item or another owner's is the denial (404, or 403
//! with `deny = 403` when the item exists); the caller's own item was refused by a condition (409
//! with its name), by the version the fn compared (412), or by the fn's own condition (409
//! `condition_failed`).

mod check;
mod checked;
mod claims;
mod condition;
mod error;
mod expression;
mod item;
mod ops;
mod order;
mod other;
mod scope;
mod transact;
pub mod unguarded;

use aws_sdk_dynamodb::Client;

pub use check::{Check, Claim, Grants, Source};
pub use condition::{Condition, Order, Rule, Value};
pub use error::DynamoError;
pub use ops::{delete_item, get_item, put_item, query, scan, update_item};
pub use other::{OnTheGuardsClient, Pass, Probe, Request, probe};
pub use scope::{Fields, ScopeValue, field};
pub use transact::transact_write_items;

use crate::db::Store;
use crate::jwt::GuardClaims;
use crate::{Deny, Error, Guard};

/// DynamoDB, as the database of a [`Guard`]: `Guard<DynamoDb>` takes the router state's
/// `aws_sdk_dynamodb::Client` (through `FromRef`) and runs only the requests `#[guarded]`
/// conditioned.
#[derive(Debug)]
pub enum DynamoDb {}

impl Store for DynamoDb {
    type Source = Client;
    type Handle = Client;
    fn handle(client: Client) -> Result<Client, Error> {
        Ok(client)
    }
}

/// A guarded table, as the expansion names it.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    /// The owner attribute.
    pub owner: &'static str,
    pub deny: Deny,
    /// The policy's conditions (`[tables.items.conditions.*]`).
    pub conditions: &'static [Condition],
    /// The version attribute (`version = ".."`): a refused write whose own condition compared
    /// it to a value the item no longer has is a 412.
    pub version: Option<&'static str>,
    /// The policy's `[token] valid`, as checks of other items.
    pub valid: &'static [Check],
    /// Who besides the owner may read, update or delete an item.
    pub grants: Grants,
    /// The table's scope: attributes every item the fn touches holds, each equal to a claim.
    pub scope: &'static [(&'static str, Claim)],
}

/// A table a fn requests without the owner's condition (`unguarded = ".."`): its requests
/// still carry the token's checks.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Unguarded {
    pub name: &'static str,
    pub valid: &'static [Check],
}

/// The guard's claims, for the fields a scope compares with.
#[doc(hidden)]
pub fn claims<C: GuardClaims, A>(guard: &Guard<DynamoDb, C, A>) -> &C {
    guard.claims()
}

/// The guard's client, for the builder chains the expansion hands back to this module.
#[doc(hidden)]
pub fn client<C: GuardClaims, A>(guard: &Guard<DynamoDb, C, A>) -> &Client {
    guard.handle()
}
