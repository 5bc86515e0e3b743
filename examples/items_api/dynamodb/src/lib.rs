//! The demo server on DynamoDB (`DATABASE_URL=dynamodb://127.0.0.1:4566`): the routes of
//! `items_api`, as `Guard<DynamoDb>` handlers on the AWS SDK's client.
//!
//! The handlers spell no rule: the owner, the version an `If-Match` compares and the archive
//! are this package's `guarded.toml`, decided by DynamoDB inside each request's condition.
//! The SQL demo's shares, administrators and logout are decided by other tables, which a
//! DynamoDB condition cannot read: those routes answer 501 here.

mod client;
#[path = "../../src/http.rs"]
mod http;
mod routes;

pub use client::{client, create_table, endpoint};
pub use routes::router;

/// The table of the items, key `id` (a string of digits).
pub const TABLE: &str = "items";
