use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use guarded::{DynamoDb, Error, Guard, guarded};

async fn helper(client: &Client, id: String) {
    let _ = client.delete_item().table_name("items").key("id", AttributeValue::S(id)).send().await;
}

#[guarded(owner = "items.owner_id")]
async fn remove(guard: Guard<DynamoDb>, id: String) -> Result<(), Error> {
    let client = guard.client();
    helper(client, id).await;
    Ok(())
}

#[guarded(owner = "items.owner_id")]
async fn later(guard: Guard<DynamoDb>, id: String) -> Result<(), Error> {
    let request = guard.client().delete_item().table_name("items").key("id", AttributeValue::S(id));
    request.send().await.ok();
    Ok(())
}

fn main() {}
