//! A client of a local DynamoDB-compatible server (moto's server mode in CI), and the table.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use guarded::{Claims, DynamoDb, Guard};

use crate::notes::{Member, NOTES};

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

/// A guard for `sub` in tenant `org` (`None`: a token of no tenant).
pub fn member(client: &Client, sub: &str, org: Option<&str>) -> Guard<DynamoDb, Member> {
    let claims = Member {
        sub: sub.to_owned(),
        exp: u64::MAX / 2,
        org: org.map(str::to_owned),
    };
    Guard::trusted(client.clone(), claims)
}

/// The `notes` table, keyed by `org_id` (partition) and `id` (sort), unless it exists.
pub async fn create_notes(client: &Client) {
    let mut request = client
        .create_table()
        .table_name(NOTES)
        .billing_mode(BillingMode::PayPerRequest);
    for (attribute, kind) in [("org_id", KeyType::Hash), ("id", KeyType::Range)] {
        request = request
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attribute)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("an attribute"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(attribute)
                    .key_type(kind)
                    .build()
                    .expect("a key"),
            );
    }
    if let Err(e) = request.send().await {
        let exists = e.code() == Some("ResourceInUseException");
        assert!(exists, "the notes table: {e:?}");
    }
}

/// Note `(org, id)` as stored, read past any guard (a consistent read).
pub async fn note(client: &Client, org: &str, id: &str) -> Option<HashMap<String, AttributeValue>> {
    client
        .get_item()
        .table_name(NOTES)
        .key("org_id", AttributeValue::S(org.to_owned()))
        .key("id", AttributeValue::S(id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("a read")
        .item
}
