//! `Guard<DynamoDb>` fns on `notes`, scoped to the caller's tenant by `guarded.toml`, against
//! the server of `GUARDED_TEST_DYNAMODB` (skipped when it is unset): another tenant's note is
//! neither read, listed, updated, deleted nor overwritten, even by its own owner, and a put
//! lands in the caller's tenant. Every outcome is checked on the stored note, read past the
//! guard.

use aws_sdk_dynamodb::Client;
use guarded::{Deny, Error};
use guarded_dynamodb::local::{self, member, note};
use guarded_dynamodb::notes::{
    Member, move_note, my_notes, note_title, notes_in, remove_note, rename_and_write_note,
    rename_note, write_note, write_note_into,
};
use guarded_testkit::dynamodb::{self, s};

use crate::{pair, title_and_owner};

/// The server's client and a tag no other test (or earlier run) uses in its tenants and ids.
async fn setup() -> Option<(Client, String)> {
    let client = local::client(&dynamodb::endpoint()?);
    local::create_notes(&client).await;
    Some((client, dynamodb::tag()))
}

/// A note written past the guard.
async fn seed(client: &Client, org: &str, id: &str, title: &str, owner: &str) {
    client
        .put_item()
        .table_name("notes")
        .item("org_id", s(org))
        .item("id", s(id))
        .item("title", s(title))
        .item("owner_id", s(owner))
        .send()
        .await
        .expect("a seeded note");
}

/// `(title, owner)` of the stored note.
async fn stored(client: &Client, org: &str, id: &str) -> Option<(String, String)> {
    Some(title_and_owner(&note(client, org, id).await?))
}

fn not_found(result: Result<impl std::fmt::Debug, Error>, what: &str) {
    match result {
        Err(Error::Denied(Deny::NotFound)) => {}
        other => panic!("{what}: want a 404, got {other:?}"),
    }
}

/// The two tenants of a test, and alice, who owns a note in each.
struct Tenants {
    acme: String,
    initech: String,
    alice: String,
}

impl Tenants {
    fn new(tag: &str) -> Self {
        Self {
            acme: format!("acme-{tag}"),
            initech: format!("initech-{tag}"),
            alice: format!("alice-{tag}"),
        }
    }

    fn alice_in(&self, client: &Client, org: &str) -> guarded::Guard<guarded::DynamoDb, Member> {
        member(client, &self.alice, Some(org))
    }
}

#[tokio::test]
async fn another_tenants_note_is_not_read_even_by_its_owner() {
    let Some((client, tag)) = setup().await else {
        return;
    };
    let t = Tenants::new(&tag);
    seed(&client, &t.acme, "a", "acme's", &t.alice).await;
    seed(&client, &t.initech, "i", "initech's", &t.alice).await;
    let in_acme = || t.alice_in(&client, &t.acme);
    assert_eq!(
        note_title(in_acme(), &t.acme, "a").await.expect("read"),
        Some("acme's".to_owned())
    );
    not_found(
        note_title(in_acme(), &t.initech, "i").await,
        "alice's note in another tenant",
    );
    assert_eq!(
        note_title(in_acme(), &t.acme, "none").await.expect("read"),
        None
    );
    // A query pinning the caller's tenant in its key condition reads it; pinning another
    // tenant reads nothing; a scan filters on the tenant.
    assert_eq!(notes_in(in_acme(), &t.acme).await.expect("query"), ["a"]);
    assert!(
        notes_in(in_acme(), &t.initech)
            .await
            .expect("query")
            .is_empty()
    );
    let mine = my_notes(in_acme()).await.expect("scan");
    assert!(mine.contains(&"a".to_owned()), "{mine:?}");
    assert!(!mine.contains(&"i".to_owned()), "{mine:?}");
    assert_eq!(
        notes_in(t.alice_in(&client, &t.initech), &t.initech)
            .await
            .expect("query"),
        ["i"]
    );
}

#[tokio::test]
async fn another_tenants_note_is_neither_updated_nor_deleted() {
    let Some((client, tag)) = setup().await else {
        return;
    };
    let t = Tenants::new(&tag);
    seed(&client, &t.initech, "i", "initech's", &t.alice).await;
    let in_acme = || t.alice_in(&client, &t.acme);
    not_found(
        rename_note(in_acme(), &t.initech, "i", "moved").await,
        "a rename across tenants",
    );
    not_found(
        remove_note(in_acme(), &t.initech, "i").await,
        "a delete across tenants",
    );
    not_found(
        rename_and_write_note(in_acme(), &t.initech, "i", "moved", "new").await,
        "a transaction across tenants",
    );
    assert_eq!(
        stored(&client, &t.initech, "i").await,
        Some(pair("initech's", &t.alice))
    );
    assert_eq!(
        stored(&client, &t.acme, "new").await,
        None,
        "all or nothing"
    );
    // In its own tenant the owner does all of it.
    let in_initech = || t.alice_in(&client, &t.initech);
    rename_note(in_initech(), &t.initech, "i", "renamed")
        .await
        .expect("the owner renames");
    rename_and_write_note(in_initech(), &t.initech, "i", "both", "j")
        .await
        .expect("the owner's transaction");
    assert_eq!(
        stored(&client, &t.initech, "j").await,
        Some(pair("both", &t.alice)),
        "the transaction's put lands in the caller's tenant"
    );
    remove_note(in_initech(), &t.initech, "i")
        .await
        .expect("the owner deletes");
    assert_eq!(stored(&client, &t.initech, "i").await, None);
}

#[tokio::test]
async fn a_put_lands_in_the_callers_tenant_and_overwrites_no_other() {
    let Some((client, tag)) = setup().await else {
        return;
    };
    let t = Tenants::new(&tag);
    let bob = format!("bob-{tag}");
    write_note(t.alice_in(&client, &t.acme), "p", "fresh")
        .await
        .expect("a put");
    let item = note(&client, &t.acme, "p").await.expect("the put's note");
    assert_eq!(item["org_id"], s(&t.acme));
    assert_eq!(item["owner_id"], s(&t.alice));
    // The same id in another tenant is another note; bob, in acme, takes over nothing.
    seed(&client, &t.initech, "q", "initech's", &bob).await;
    let refused =
        write_note_into(t.alice_in(&client, &t.acme), &t.initech, "q", "overwritten").await;
    assert!(
        matches!(&refused, Err(Error::DynamoDb(e)) if e.to_string().contains("scope")),
        "a put into another tenant: {refused:?}"
    );
    assert_eq!(
        stored(&client, &t.initech, "q").await,
        Some(pair("initech's", &bob))
    );
    match write_note(member(&client, &bob, Some(&t.acme)), "p", "stolen").await {
        Err(Error::Denied(Deny::NotFound)) => {}
        other => panic!("a put over another owner's note: {other:?}"),
    }
    assert_eq!(
        stored(&client, &t.acme, "p").await,
        Some(pair("fresh", &t.alice))
    );
    // Naming the caller's own tenant is the same put.
    write_note_into(t.alice_in(&client, &t.acme), &t.acme, "p", "replaced")
        .await
        .expect("a put naming the caller's tenant");
    assert_eq!(
        stored(&client, &t.acme, "p").await,
        Some(pair("replaced", &t.alice))
    );
}

#[tokio::test]
async fn no_update_moves_a_note_out_of_its_tenant_and_a_token_without_one_reads_nothing() {
    let Some((client, tag)) = setup().await else {
        return;
    };
    let t = Tenants::new(&tag);
    seed(&client, &t.acme, "a", "acme's", &t.alice).await;
    let moved = move_note(t.alice_in(&client, &t.acme), &t.acme, "a", &t.initech).await;
    assert!(
        matches!(&moved, Err(Error::DynamoDb(e)) if e.to_string().contains("stays in its scope")),
        "{moved:?}"
    );
    assert_eq!(
        stored(&client, &t.acme, "a").await,
        Some(pair("acme's", &t.alice))
    );
    let nowhere = || member(&client, &t.alice, None);
    for result in [
        note_title(nowhere(), &t.acme, "a").await.map(drop),
        my_notes(nowhere()).await.map(drop),
        rename_note(nowhere(), &t.acme, "a", "x").await,
        write_note(nowhere(), "z", "x").await,
    ] {
        match result {
            Err(Error::Unauthorized(e)) if e.code() == "missing_claim" => {}
            other => panic!("a token of no tenant: {other:?}"),
        }
    }
    assert_eq!(
        stored(&client, &t.acme, "a").await,
        Some(pair("acme's", &t.alice))
    );
}
