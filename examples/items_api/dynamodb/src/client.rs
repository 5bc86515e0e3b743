//! The client of the server `DATABASE_URL` names, and the table the routes use.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};

/// The endpoint of `dynamodb://host:port` (plain HTTP, a local server) or
/// `dynamodbs://host` (HTTPS); `None` for any other URL.
pub fn endpoint(url: &str) -> Option<String> {
    if let Some(rest) = url.strip_prefix("dynamodb://") {
        Some(format!("http://{rest}"))
    } else {
        url.strip_prefix("dynamodbs://")
            .map(|rest| format!("https://{rest}"))
    }
}

/// A client of `endpoint`, with the environment's `AWS_REGION`, `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY`, or a local server's test values when they are unset.
pub fn client(endpoint: &str) -> Client {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let credentials = Credentials::new(
        var("AWS_ACCESS_KEY_ID", "test"),
        var("AWS_SECRET_ACCESS_KEY", "test"),
        std::env::var("AWS_SESSION_TOKEN").ok(),
        None,
        "environment",
    );
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(var("AWS_REGION", "us-east-1")))
        .credentials_provider(credentials)
        .build();
    Client::from_conf(config)
}

/// Creates the items table (key `id`, a string) unless it exists.
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
