// The application's own client (from the router's state) sends a request as written: the
// type of `delete_item()`'s value shows it is one of the SDK's requests.
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use guarded::{DynamoDb, Error, Guard, guarded};

pub struct App {
    pub client: Arc<Client>,
}

#[guarded(owner = "items.owner_id")]
async fn remove(guard: Guard<DynamoDb>, app: &App, id: String) -> Result<(), Error> {
    app.client
        .delete_item()
        .table_name("items")
        .key("id", AttributeValue::S(id))
        .send()
        .await
        .ok();
    Ok(())
}

fn main() {}
