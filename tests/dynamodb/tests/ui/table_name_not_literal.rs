use aws_sdk_dynamodb::types::AttributeValue;
use guarded::{DynamoDb, Error, Guard, guarded};

#[guarded(owner = "items.owner_id")]
async fn remove(guard: Guard<DynamoDb>, table: &str, id: String) -> Result<(), Error> {
    guard
        .client()
        .delete_item()
        .table_name(table)
        .key("id", AttributeValue::S(id))
        .send()
        .await?;
    Ok(())
}

#[guarded(owner = "items.owner_id")]
async fn remove_user(guard: Guard<DynamoDb>, id: String) -> Result<(), Error> {
    guard
        .client()
        .delete_item()
        .table_name("users")
        .key("id", AttributeValue::S(id))
        .send()
        .await?;
    Ok(())
}

fn main() {}
