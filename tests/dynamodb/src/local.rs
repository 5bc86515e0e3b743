//! A client of a local DynamoDB-compatible server (moto's server mode in CI), and the table.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use guarded::{Claims, DynamoDb, Guard};

/// The server the suite runs on: `GUARDED_TEST_DYNAMODB`, `None` when it is unset.
pub fn endpoint() -> Option<String> {
    std::env::var("GUARDED_TEST_DYNAMODB").ok()
}

/// A client of the server, and the `items` table (key `id`, a string): the demo's own, so
/// the suite and the demo share one table on one server.
pub use items_api_dynamodb::{client, create_tables};

/// A guard for `sub`, as a background job makes one.
pub fn guard(client: &Client, sub: &str) -> Guard<DynamoDb> {
    let claims: Claims =
        serde_json::from_value(serde_json::json!({ "sub": sub, "exp": u64::MAX / 2 }))
            .expect("claims");
    Guard::trusted(client.clone(), claims)
}

/// Item `id` of the `items` table as stored, read past any guard (a consistent read).
pub async fn item(client: &Client, id: &str) -> Option<HashMap<String, AttributeValue>> {
    client
        .get_item()
        .table_name(crate::TABLE)
        .key("id", AttributeValue::S(id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("a read")
        .item
}
