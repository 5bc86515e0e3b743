//! The client of the server `DATABASE_URL` names, and the table the routes use.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
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

/// The tables the routes use, each with its key (partition, then sort), every key attribute
/// a string: the items; the shares (`item_id`, `user_id`); the users, whose `role` and
/// `tokens_valid_after` the policy reads (`id`); the revoked tokens (`jti`).
pub const TABLES: [(&str, &[&str]); 4] = [
    ("items", &["id"]),
    ("shares", &["item_id", "user_id"]),
    ("users", &["id"]),
    ("revoked_tokens", &["jti"]),
];

/// Creates each of [`TABLES`] that does not exist.
pub async fn create_tables(client: &Client) -> Result<(), aws_sdk_dynamodb::Error> {
    for (table, key) in TABLES {
        create_table(client, table, key).await?;
    }
    Ok(())
}

async fn create_table(
    client: &Client,
    table: &str,
    key: &[&str],
) -> Result<(), aws_sdk_dynamodb::Error> {
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest);
    for (at, attribute) in key.iter().enumerate() {
        let kind = if at == 0 {
            KeyType::Hash
        } else {
            KeyType::Range
        };
        request = request
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(*attribute)
                    .attribute_type(ScalarAttributeType::S)
                    .build()?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(*attribute)
                    .key_type(kind)
                    .build()?,
            );
    }
    match request.send().await {
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

/// Sets `user`'s role in the users table (creating their item): every request that starts
/// afterwards decides with it, whatever tokens the user holds.
pub async fn set_role(
    client: &Client,
    user: &str,
    role: &str,
) -> Result<(), aws_sdk_dynamodb::Error> {
    client
        .update_item()
        .table_name("users")
        .key("id", AttributeValue::S(user.to_owned()))
        .update_expression("SET #role = :role")
        .expression_attribute_names("#role", "role")
        .expression_attribute_values(":role", AttributeValue::S(role.to_owned()))
        .send()
        .await?;
    Ok(())
}
