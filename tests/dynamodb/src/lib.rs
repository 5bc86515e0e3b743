//! Guarded fns on DynamoDB, one per request kind the guard conditions, for the suite in
//! `tests/`. Items live in tables with a string key `id` and an owner attribute `owner_id`.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use guarded::{DynamoDb, Error, Guard, guarded};
use guarded_testkit::dynamodb::s;

pub mod local;
pub mod notes;

/// The table the fns below guard; the suite creates it fresh per test under this name's
/// prefix, so the name the fns use is fixed: `items`.
pub const TABLE: &str = "items";

/// Renames the caller's item.
#[guarded(owner = "items.owner_id")]
pub async fn rename(guard: Guard<DynamoDb>, id: &str, title: &str) -> Result<(), Error> {
    guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", s(id))
        .update_expression("SET title = :title")
        .expression_attribute_values(":title", s(title))
        .send()
        .await?;
    Ok(())
}

/// A rename the fn's own condition can refuse: only while the item is not archived.
#[guarded(owner = "items.owner_id")]
pub async fn rename_unarchived(guard: Guard<DynamoDb>, id: &str, title: &str) -> Result<(), Error> {
    guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", s(id))
        .update_expression("SET title = :title")
        .condition_expression("attribute_not_exists(archived) OR archived = :no")
        .expression_attribute_values(":title", s(title))
        .expression_attribute_values(":no", AttributeValue::Bool(false))
        .send()
        .await?;
    Ok(())
}

/// The fn's own maps use the placeholder names the guard would pick first.
#[guarded(owner = "items.owner_id")]
pub async fn rename_with_colliding_names(
    guard: Guard<DynamoDb>,
    id: &str,
    title: &str,
) -> Result<(), Error> {
    guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", s(id))
        .update_expression("SET #guarded_owner = :guarded_subject")
        .expression_attribute_names("#guarded_owner", "title")
        .expression_attribute_values(":guarded_subject", s(title))
        .send()
        .await?;
    Ok(())
}

/// Hands the item to `to`: the owner may, no one else.
#[guarded(owner = "items.owner_id")]
pub async fn transfer(guard: Guard<DynamoDb>, id: &str, to: &str) -> Result<(), Error> {
    guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", s(id))
        .update_expression("SET owner_id = :to")
        .expression_attribute_values(":to", s(to))
        .send()
        .await?;
    Ok(())
}

/// The race suite's write: the item records the owner it was written under, so a write that
/// landed after the item changed hands shows in the item itself.
#[guarded(owner = "items.owner_id")]
pub async fn stamp(guard: Guard<DynamoDb>, id: &str) -> Result<(), Error> {
    guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", s(id))
        .update_expression("SET written_under = owner_id")
        .send()
        .await?;
    Ok(())
}

/// Renames the caller's item, telling another owner's item (403) from none (404).
#[guarded(owner = "items.owner_id", deny = 403)]
pub async fn rename_telling(guard: Guard<DynamoDb>, id: &str, title: &str) -> Result<(), Error> {
    guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", s(id))
        .update_expression("SET title = :title")
        .expression_attribute_values(":title", s(title))
        .send()
        .await?;
    Ok(())
}

/// Deletes the caller's item.
#[guarded(owner = "items.owner_id")]
pub async fn remove(guard: Guard<DynamoDb>, id: &str) -> Result<(), Error> {
    guard
        .client()
        .delete_item()
        .table_name("items")
        .key("id", s(id))
        .send()
        .await?;
    Ok(())
}

/// Creates (or replaces the caller's own) item; the body's `owner_id` is what a client sent,
/// and the guard overrides it.
#[guarded(owner = "items.owner_id")]
pub async fn put(
    guard: Guard<DynamoDb>,
    id: &str,
    title: &str,
    owner_in_body: &str,
) -> Result<(), Error> {
    guard
        .client()
        .put_item()
        .table_name("items")
        .item("id", s(id))
        .item("title", s(title))
        .item("owner_id", s(owner_in_body))
        .send()
        .await?;
    Ok(())
}

/// The item's title, `None` when there is no such item.
#[guarded(owner = "items.owner_id")]
pub async fn title(guard: Guard<DynamoDb>, id: &str) -> Result<Option<String>, Error> {
    let output = guard
        .client()
        .get_item()
        .table_name("items")
        .key("id", s(id))
        .projection_expression("title")
        .consistent_read(true)
        .send()
        .await?;
    Ok(output
        .item
        .and_then(|item| item.get("title")?.as_s().ok().cloned()))
}

/// The ids of the caller's items, by a scan.
#[guarded(owner = "items.owner_id")]
pub async fn mine(guard: Guard<DynamoDb>) -> Result<Vec<String>, Error> {
    let output = guard
        .client()
        .scan()
        .table_name("items")
        .consistent_read(true)
        .send()
        .await?;
    let mut ids: Vec<String> = output
        .items()
        .iter()
        .filter_map(|item| item.get("id")?.as_s().ok().cloned())
        .collect();
    ids.sort();
    Ok(ids)
}

/// Renames `a` and creates `b` in one transaction: both or neither. A transaction may write
/// any guarded table, `notes` too, so its claims hold the tenant that table's scope reads.
#[guarded(owner = "items.owner_id")]
pub async fn rename_and_create(
    guard: Guard<DynamoDb, notes::Member>,
    a: &str,
    title: &str,
    b: &str,
) -> Result<(), Error> {
    let update = Update::builder()
        .table_name(TABLE)
        .key("id", s(a))
        .update_expression("SET title = :title")
        .expression_attribute_values(":title", s(title))
        .build()
        .expect("an update");
    let put = Put::builder()
        .table_name(TABLE)
        .item("id", s(b))
        .item("title", s(title))
        .build()
        .expect("a put");
    guard
        .client()
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(update).build())
        .transact_items(TransactWriteItem::builder().put(put).build())
        .send()
        .await?;
    Ok(())
}

/// A search of the app's, with a method named like an operation of the client.
pub struct Search {
    /// The title searched for.
    pub title: String,
}

impl Search {
    /// The title searched for.
    pub fn query(&self) -> &str {
        &self.title
    }
}

/// How many of the caller's items have the search's title: `search.query()` is not the
/// client's `query`, and compiles.
#[guarded(owner = "items.owner_id")]
pub async fn titled(guard: Guard<DynamoDb>, search: &Search) -> Result<usize, Error> {
    let output = guard
        .client()
        .scan()
        .table_name("items")
        .filter_expression("title = :title")
        .expression_attribute_values(":title", s(search.query()))
        .consistent_read(true)
        .send()
        .await?;
    Ok(output.items().len())
}
