use guarded::{DynamoDb, Error, Guard, guarded};

#[guarded(owner = "items.owner_id")]
async fn wipe(guard: Guard<DynamoDb>) -> Result<(), Error> {
    guard
        .client()
        .execute_statement()
        .statement("DELETE FROM items WHERE id = 'x'")
        .send()
        .await?;
    Ok(())
}

fn main() {}
