//! Guarded fns on `notes`, which `guarded.toml` scopes to the caller's tenant
//! (`notes.org_id = :org`, `org` a field of [`Member`]): every request carries the tenant, a
//! put writes it, no update moves an item out of it. The key is `(org_id, id)`, so a fn names
//! the tenant in the key as a client would, and the guard decides whether it is the caller's.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use guarded::{DynamoDb, Error, Guard, GuardClaims, guarded};
use guarded_testkit::dynamodb::s;
use serde::Deserialize;

/// The scoped table.
pub const NOTES: &str = "notes";

/// A caller's claims: the subject and the tenant a scope compares with (absent on a token
/// issued to no tenant).
#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    /// The subject: the owner attribute's value.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// The tenant: the scope's `:org`.
    #[serde(default)]
    pub org: Option<String>,
}

impl GuardClaims for Member {
    type Subject = String;
    fn subject(&self) -> &String {
        &self.sub
    }
}

fn key(org: &str, id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("org_id".to_owned(), s(org)), ("id".to_owned(), s(id))])
}

/// Creates (or replaces the caller's own) note in the caller's tenant.
#[guarded]
pub async fn write_note(
    guard: Guard<DynamoDb, Member>,
    id: &str,
    title: &str,
) -> Result<(), Error> {
    guard
        .client()
        .put_item()
        .table_name("notes")
        .item("id", s(id))
        .item("title", s(title))
        .send()
        .await?;
    Ok(())
}

/// A put whose item names a tenant, as a client's body would.
#[guarded]
pub async fn write_note_into(
    guard: Guard<DynamoDb, Member>,
    org: &str,
    id: &str,
    title: &str,
) -> Result<(), Error> {
    let mut item = key(org, id);
    item.insert("title".to_owned(), s(title));
    guard
        .client()
        .put_item()
        .table_name("notes")
        .set_item(Some(item))
        .send()
        .await?;
    Ok(())
}

/// The note's title, `None` when there is no such note.
#[guarded]
pub async fn note_title(
    guard: Guard<DynamoDb, Member>,
    org: &str,
    id: &str,
) -> Result<Option<String>, Error> {
    let output = guard
        .client()
        .get_item()
        .table_name("notes")
        .set_key(Some(key(org, id)))
        .projection_expression("title")
        .consistent_read(true)
        .send()
        .await?;
    Ok(output
        .item
        .and_then(|item| item.get("title")?.as_s().ok().cloned()))
}

/// Renames the caller's note.
#[guarded]
pub async fn rename_note(
    guard: Guard<DynamoDb, Member>,
    org: &str,
    id: &str,
    title: &str,
) -> Result<(), Error> {
    guard
        .client()
        .update_item()
        .table_name("notes")
        .set_key(Some(key(org, id)))
        .update_expression("SET title = :title")
        .expression_attribute_values(":title", s(title))
        .send()
        .await?;
    Ok(())
}

/// Writes the note's `org_id`, which the scope sets: refused.
#[guarded]
pub async fn move_note(
    guard: Guard<DynamoDb, Member>,
    org: &str,
    id: &str,
    to: &str,
) -> Result<(), Error> {
    guard
        .client()
        .update_item()
        .table_name("notes")
        .set_key(Some(key(org, id)))
        .update_expression("SET #org = :to")
        .expression_attribute_names("#org", "org_id")
        .expression_attribute_values(":to", s(to))
        .send()
        .await?;
    Ok(())
}

/// Deletes the caller's note.
#[guarded]
pub async fn remove_note(guard: Guard<DynamoDb, Member>, org: &str, id: &str) -> Result<(), Error> {
    guard
        .client()
        .delete_item()
        .table_name("notes")
        .set_key(Some(key(org, id)))
        .send()
        .await?;
    Ok(())
}

/// The ids of the caller's notes in tenant `org`, by a query on the partition key.
#[guarded]
pub async fn notes_in(guard: Guard<DynamoDb, Member>, org: &str) -> Result<Vec<String>, Error> {
    let output = guard
        .client()
        .query()
        .table_name("notes")
        .key_condition_expression("org_id = :org")
        .expression_attribute_values(":org", s(org))
        .consistent_read(true)
        .send()
        .await?;
    Ok(ids(output.items()))
}

/// The ids of the caller's notes, by a scan.
#[guarded]
pub async fn my_notes(guard: Guard<DynamoDb, Member>) -> Result<Vec<String>, Error> {
    let output = guard
        .client()
        .scan()
        .table_name("notes")
        .consistent_read(true)
        .send()
        .await?;
    Ok(ids(output.items()))
}

/// Renames note `a` of tenant `org` and creates `b` in one transaction: both or neither.
#[guarded]
pub async fn rename_and_write_note(
    guard: Guard<DynamoDb, Member>,
    org: &str,
    a: &str,
    title: &str,
    b: &str,
) -> Result<(), Error> {
    let update = Update::builder()
        .table_name(NOTES)
        .set_key(Some(key(org, a)))
        .update_expression("SET title = :title")
        .expression_attribute_values(":title", s(title))
        .build()
        .expect("an update");
    let put = Put::builder()
        .table_name(NOTES)
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

fn ids(items: &[HashMap<String, AttributeValue>]) -> Vec<String> {
    let mut ids: Vec<String> = items
        .iter()
        .filter_map(|item| item.get("id")?.as_s().ok().cloned())
        .collect();
    ids.sort();
    ids
}
