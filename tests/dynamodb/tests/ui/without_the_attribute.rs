use aws_sdk_dynamodb::types::AttributeValue;
use guarded::{DynamoDb, Error, Guard};

// The guard hands its client only to code #[guarded] wrote.
async fn remove(guard: Guard<DynamoDb>, id: String) -> Result<(), Error> {
    guard
        .client()
        .delete_item()
        .table_name("items")
        .key("id", AttributeValue::S(id))
        .send()
        .await
        .ok();
    Ok(())
}

fn main() {}
