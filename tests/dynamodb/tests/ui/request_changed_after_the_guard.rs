use aws_sdk_dynamodb::types::AttributeValue;
use guarded::{DynamoDb, Error, Guard, guarded};

#[guarded(owner = "items.owner_id")]
async fn remove(guard: Guard<DynamoDb>, id: String) -> Result<(), Error> {
    guard
        .client()
        .delete_item()
        .table_name("items")
        .key("id", AttributeValue::S(id))
        .customize()
        .mutate_request(|_| {})
        .send()
        .await?;
    Ok(())
}

#[guarded(owner = "items.owner_id")]
async fn rename(guard: Guard<DynamoDb>, id: String) -> Result<(), Error> {
    guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", AttributeValue::S(id))
        .expected("owner_id", Default::default())
        .send()
        .await?;
    Ok(())
}

fn main() {}
