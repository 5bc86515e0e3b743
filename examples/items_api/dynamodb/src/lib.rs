//! The demo server on DynamoDB (`DATABASE_URL=dynamodb://127.0.0.1:4566`): the routes of
//! `items_api`, as `Guard<DynamoDb>` handlers on the AWS SDK's client.
//!
//! The handlers spell no rule: the owner, the version an `If-Match` compares, the archive,
//! the shares, the administrators and the token's revocation are the SQL demo's
//! `guarded.toml` (`build.rs` names it to the macro), decided by DynamoDB in the request's
//! condition, or in one transaction with the checks of the share, user and revocation items.

mod client;
mod routes;

pub use client::{TABLES, client, create_tables, endpoint, set_role};
pub use routes::router;

/// The table of the items, key `id` (a string of digits).
pub const TABLE: &str = "items";
