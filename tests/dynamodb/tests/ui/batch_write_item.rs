use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use guarded::{DynamoDb, Error, Guard, guarded};

#[guarded(owner = "items.owner_id")]
async fn import(guard: Guard<DynamoDb>, put: PutRequest) -> Result<(), Error> {
    guard
        .client()
        .batch_write_item()
        .request_items("items", vec![WriteRequest::builder().put_request(put).build()])
        .send()
        .await?;
    Ok(())
}

fn main() {}
