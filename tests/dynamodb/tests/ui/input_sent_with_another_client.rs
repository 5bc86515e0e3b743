// An input builder sends itself on any client it is given.
#![allow(unused_imports)]
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemInputBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use guarded::{DynamoDb, Error, Guard, guarded};

#[guarded(owner = "items.owner_id")]
async fn remove(guard: Guard<DynamoDb>, client: &Client, id: String) -> Result<(), Error> {
    let input = DeleteItemInputBuilder::default()
        .table_name("items")
        .key("id", AttributeValue::S(id));
    input.send_with(client).await.ok();
    Ok(())
}

fn main() {}
