//! `Guard<DynamoDb>` fns as owner and as stranger, against the server of
//! `GUARDED_TEST_DYNAMODB` (skipped when it is unset). Every refusal is checked on the item
//! itself, read past the guard.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use guarded::{Deny, Error};
use guarded_dynamodb::local::{self, guard};
use guarded_dynamodb::{
    TABLE, mine, put, remove, rename, rename_and_create, rename_telling, rename_unarchived,
    rename_with_colliding_names, title, transfer,
};
use guarded_testkit::dynamodb::{self, s};

use crate::{pair, title_and_owner};

/// The server's client and names no other test (or earlier run) uses: `(client, tag)`.
async fn setup() -> Option<(Client, String)> {
    let client = local::client(&dynamodb::endpoint()?);
    local::create_tables(&client)
        .await
        .expect("the items table");
    Some((client, dynamodb::tag()))
}

async fn seed(client: &Client, id: &str, title: &str, owner: &str) {
    client
        .put_item()
        .table_name(TABLE)
        .item("id", s(id))
        .item("title", s(title))
        .item("owner_id", s(owner))
        .send()
        .await
        .expect("a seeded item");
}

/// `(title, owner)` of the stored item.
async fn stored(client: &Client, id: &str) -> Option<(String, String)> {
    Some(title_and_owner(&local::item(client, id).await?))
}

fn denied(result: Result<impl std::fmt::Debug, Error>, deny: Deny, what: &str) {
    match result {
        Err(Error::Denied(d)) if d == deny => {}
        other => panic!("{what}: want denied {deny:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn the_owner_updates_and_a_stranger_changes_nothing() {
    let Some((client, tag)) = setup().await else {
        return;
    };
    let (alice, bob, id) = (
        format!("alice-{tag}"),
        format!("bob-{tag}"),
        format!("item-{tag}"),
    );
    seed(&client, &id, "original", &alice).await;

    denied(
        rename(guard(&client, &bob), &id, "stolen").await,
        Deny::NotFound,
        "bob renames",
    );
    assert_eq!(stored(&client, &id).await, Some(pair("original", &alice)));
    denied(
        transfer(guard(&client, &bob), &id, &bob).await,
        Deny::NotFound,
        "bob takes",
    );
    assert_eq!(stored(&client, &id).await, Some(pair("original", &alice)));
    denied(
        remove(guard(&client, &bob), &id).await,
        Deny::NotFound,
        "bob deletes",
    );
    assert_eq!(stored(&client, &id).await, Some(pair("original", &alice)));

    rename(guard(&client, &alice), &id, "renamed")
        .await
        .expect("alice renames");
    assert_eq!(stored(&client, &id).await, Some(pair("renamed", &alice)));
    transfer(guard(&client, &alice), &id, &bob)
        .await
        .expect("alice hands it over");
    denied(
        rename(guard(&client, &alice), &id, "mine").await,
        Deny::NotFound,
        "alice after",
    );
    assert_eq!(stored(&client, &id).await, Some(pair("renamed", &bob)));
    remove(guard(&client, &bob), &id)
        .await
        .expect("bob deletes his item");
    assert_eq!(stored(&client, &id).await, None);
}

#[tokio::test]
async fn an_update_of_no_item_creates_none() {
    let Some((client, tag)) = setup().await else {
        return;
    };
    let id = format!("absent-{tag}");
    denied(
        rename(guard(&client, "alice"), &id, "new").await,
        Deny::NotFound,
        "upsert",
    );
    assert_eq!(local::item(&client, &id).await, None);
}

#[tokio::test]
async fn deny_403_tells_another_owners_item_from_none() {
    let Some((client, tag)) = setup().await else {
        return;
    };
    let (alice, id) = (format!("alice-{tag}"), format!("item-{tag}"));
    seed(&client, &id, "original", &alice).await;
    denied(
        rename_telling(guard(&client, "bob"), &id, "x").await,
        Deny::Forbidden,
        "exists",
    );
    denied(
        rename_telling(guard(&client, "bob"), &format!("none-{tag}"), "x").await,
        Deny::NotFound,
        "absent",
    );
    assert_eq!(stored(&client, &id).await, Some(pair("original", &alice)));
}

#[tokio::test]
async fn the_fns_own_condition_refusing_the_owner_is_a_conflict() {
    let Some((client, tag)) = setup().await else {
        return;
    };
    let (alice, id) = (format!("alice-{tag}"), format!("item-{tag}"));
    seed(&client, &id, "original", &alice).await;
    client
        .update_item()
        .table_name(TABLE)
        .key("id", s(&id))
        .update_expression("SET archived = :yes")
        .expression_attribute_values(":yes", AttributeValue::Bool(true))
        .send()
        .await
        .expect("archived");
    match rename_unarchived(guard(&client, &alice), &id, "late").await {
        Err(Error::Conflict("condition_failed")) => {}
        other => panic!("want 409 condition_failed, got {other:?}"),
    }
    denied(
        rename_unarchived(guard(&client, "bob"), &id, "late").await,
        Deny::NotFound,
        "a stranger is denied before any condition of the fn's",
    );
    assert_eq!(stored(&client, &id).await, Some(pair("original", &alice)));
}

#[tokio::test]
async fn placeholders_the_fn_uses_do_not_collide_with_the_guards() {
    let Some((client, tag)) = setup().await else {
        return;
    };
    let (alice, id) = (format!("alice-{tag}"), format!("item-{tag}"));
    seed(&client, &id, "original", &alice).await;
    rename_with_colliding_names(guard(&client, &alice), &id, "renamed")
        .await
        .expect("alice renames");
    assert_eq!(stored(&client, &id).await, Some(pair("renamed", &alice)));
    denied(
        rename_with_colliding_names(guard(&client, "bob"), &id, "stolen").await,
        Deny::NotFound,
        "bob",
    );
    assert_eq!(stored(&client, &id).await, Some(pair("renamed", &alice)));
}

#[tokio::test]
async fn a_put_is_owned_by_the_caller_and_takes_over_nothing() {
    let Some((client, tag)) = setup().await else {
        return;
    };
    let (alice, bob) = (format!("alice-{tag}"), format!("bob-{tag}"));
    let (id, new) = (format!("item-{tag}"), format!("new-{tag}"));
    seed(&client, &id, "original", &alice).await;

    // Over another owner's item: refused, even when the body names the caller as owner.
    denied(
        put(guard(&client, &bob), &id, "stolen", &bob).await,
        Deny::NotFound,
        "takeover",
    );
    assert_eq!(stored(&client, &id).await, Some(pair("original", &alice)));
    // A new item naming someone else as owner: the caller owns it.
    put(guard(&client, &bob), &new, "fresh", &alice)
        .await
        .expect("bob creates");
    assert_eq!(stored(&client, &new).await, Some(pair("fresh", &bob)));
    // Over the caller's own item: replaced.
    put(guard(&client, &alice), &id, "replaced", &alice)
        .await
        .expect("alice replaces");
    assert_eq!(stored(&client, &id).await, Some(pair("replaced", &alice)));
}

#[tokio::test]
async fn a_read_returns_the_callers_items_only() {
    let Some((client, tag)) = setup().await else {
        return;
    };
    let (alice, bob) = (format!("alice-{tag}"), format!("bob-{tag}"));
    let (a1, a2, b1) = (
        format!("a1-{tag}"),
        format!("a2-{tag}"),
        format!("b1-{tag}"),
    );
    seed(&client, &a1, "one", &alice).await;
    seed(&client, &a2, "two", &alice).await;
    seed(&client, &b1, "three", &bob).await;

    assert_eq!(
        title(guard(&client, &alice), &a1).await.expect("read"),
        Some("one".into())
    );
    denied(
        title(guard(&client, &bob), &a1).await,
        Deny::NotFound,
        "bob reads",
    );
    assert_eq!(
        title(guard(&client, &bob), &format!("none-{tag}"))
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        mine(guard(&client, &alice)).await.expect("scan"),
        vec![a1, a2]
    );
    assert_eq!(mine(guard(&client, &bob)).await.expect("scan"), vec![b1]);
}

#[tokio::test]
async fn a_transaction_with_one_strangers_item_writes_nothing() {
    let Some((client, tag)) = setup().await else {
        return;
    };
    let (alice, bob) = (format!("alice-{tag}"), format!("bob-{tag}"));
    let (a, b, fresh) = (
        format!("a-{tag}"),
        format!("b-{tag}"),
        format!("fresh-{tag}"),
    );
    seed(&client, &a, "alice's", &alice).await;
    seed(&client, &b, "bob's", &bob).await;

    // Bob renames alice's item and creates one: neither happens.
    denied(
        rename_and_create(local::member(&client, &bob, None), &a, "stolen", &fresh).await,
        Deny::NotFound,
        "bob's transaction",
    );
    assert_eq!(stored(&client, &a).await, Some(pair("alice's", &alice)));
    assert_eq!(local::item(&client, &fresh).await, None);
    // Bob creates over alice's item: refused as a whole too.
    denied(
        rename_and_create(local::member(&client, &bob, None), &b, "taken", &a).await,
        Deny::NotFound,
        "bob's put over alice's item",
    );
    assert_eq!(stored(&client, &b).await, Some(pair("bob's", &bob)));
    assert_eq!(stored(&client, &a).await, Some(pair("alice's", &alice)));
    // His own: both.
    rename_and_create(local::member(&client, &bob, None), &b, "renamed", &fresh)
        .await
        .expect("bob's own transaction");
    assert_eq!(stored(&client, &b).await, Some(pair("renamed", &bob)));
    assert_eq!(stored(&client, &fresh).await, Some(pair("renamed", &bob)));
}
