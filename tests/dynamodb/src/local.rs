//! A client of a local DynamoDB-compatible server (moto's server mode in CI), and the table.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use guarded::{Claims, DynamoDb, Guard};

/// The server the suite runs on: `GUARDED_TEST_DYNAMODB`, `None` when it is unset.
pub fn endpoint() -> Option<String> {
    std::env::var("GUARDED_TEST_DYNAMODB").ok()
}

/// A client of `endpoint` with the local server's test credentials, or the environment's
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`) when set.
pub fn client(endpoint: &str) -> Client {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let credentials = Credentials::new(
        var("AWS_ACCESS_KEY_ID", "test"),
        var("AWS_SECRET_ACCESS_KEY", "test"),
        None,
        None,
        "guarded",
    );
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(var("AWS_REGION", "us-east-1")))
        .credentials_provider(credentials)
        .build();
    Client::from_conf(config)
}

/// Creates the `items` table (key `id`, a string) unless it exists.
pub async fn create_table(client: &Client) -> Result<(), aws_sdk_dynamodb::Error> {
    let created = client
        .create_table()
        .table_name(crate::TABLE)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()?,
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(CreateTableError::is_resource_in_use_exception) =>
        {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

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
