//! An item changing hands while its old owner writes to it, on the server of
//! `GUARDED_TEST_DYNAMODB`: the owner stamps or deletes it while an administrator transfers
//! it. Each scenario runs first with the naive handler (`GetItem`, compare the owner in Rust,
//! write by key), which must show violations (the test can see one), then with the guarded
//! fn, which must show none. Violations are read from the items: a stamp written under the new
//! owner, or an item gone although the transfer found it.
//!
//! `GUARDED_RACE_TRIALS` sets the trials per scenario and way (200 when unset).

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use guarded_dynamodb::local::{self, guard};
use guarded_dynamodb::{TABLE, remove, stamp};
use guarded_testkit::dynamodb::{self, s};
use guarded_testkit::race::{Way, jitter, trials};

const ALICE: &str = "alice";
const BOB: &str = "bob";

/// Trials per scenario and way when `GUARDED_RACE_TRIALS` is unset.
const TRIALS: usize = 200;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Write {
    Stamp,
    Delete,
}

/// The administrator's transfer to bob; `true` when it found the item.
async fn transfer(client: Client, id: String) -> bool {
    jitter(4000).await;
    client
        .update_item()
        .table_name(TABLE)
        .key("id", s(&id))
        .update_expression("SET owner_id = :bob")
        .condition_expression("attribute_exists(id)")
        .expression_attribute_values(":bob", s(BOB))
        .send()
        .await
        .is_ok()
}

/// The naive handler: read the owner, compare it in Rust, then write by key.
async fn naive(client: &Client, id: &str, write: Write) {
    let item = local::item(client, id).await;
    let owner = item
        .as_ref()
        .and_then(|i| i.get("owner_id")?.as_s().ok().cloned());
    if owner.as_deref() != Some(ALICE) {
        return;
    }
    // What a handler does between its check and its write (reading the body, say).
    tokio::time::sleep(Duration::from_millis(1)).await;
    match write {
        Write::Stamp => {
            client
                .update_item()
                .table_name(TABLE)
                .key("id", s(id))
                .update_expression("SET written_under = owner_id")
                .send()
                .await
                .expect("a stamp");
        }
        Write::Delete => {
            client
                .delete_item()
                .table_name(TABLE)
                .key("id", s(id))
                .send()
                .await
                .expect("a delete");
        }
    }
}

/// One trial; `(violations, writes that landed)`.
async fn trial(client: &Client, id: String, way: Way, write: Write) -> (usize, usize) {
    client
        .put_item()
        .table_name(TABLE)
        .item("id", s(&id))
        .item("owner_id", s(ALICE))
        .send()
        .await
        .expect("a seeded item");
    let taker = tokio::spawn(transfer(client.clone(), id.clone()));
    jitter(4000).await;
    let landed = match way {
        Way::Naive => {
            naive(client, &id, write).await;
            false
        }
        Way::Guarded => match write {
            Write::Stamp => stamp(guard(client, ALICE), &id).await.is_ok(),
            Write::Delete => remove(guard(client, ALICE), &id).await.is_ok(),
        },
    };
    let transferred = taker.await.expect("the transfer");
    let item = local::item(client, &id).await;
    let violation = match write {
        Write::Stamp => item
            .as_ref()
            .and_then(|i| i.get("written_under")?.as_s().ok().cloned())
            .is_some_and(|under| under == BOB),
        // Gone although the transfer, which runs once, found it: deleted after it was bob's.
        Write::Delete => item.is_none() && transferred,
    };
    (usize::from(violation), usize::from(landed))
}

async fn scenario(write: Write) {
    let Some(endpoint) = dynamodb::endpoint() else {
        return;
    };
    let client = local::client(&endpoint);
    local::create_tables(&client)
        .await
        .expect("the items table");
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    let mut found = [(0, 0), (0, 0)];
    for (i, way) in [Way::Naive, Way::Guarded].into_iter().enumerate() {
        for t in 0..trials(TRIALS) {
            let id = format!("race-{run}-{write:?}-{way:?}-{t}");
            let (violations, landed) = trial(&client, id, way, write).await;
            found[i].0 += violations;
            found[i].1 += landed;
        }
    }
    let ((naive, _), (guarded, won)) = (found[0], found[1]);
    eprintln!(
        "transfer vs {write:?} on DynamoDB: {} trials; violations: naive {naive}, guarded \
         {guarded} (guarded writes won {won})",
        trials(TRIALS)
    );
    assert!(
        naive > 0,
        "transfer vs {write:?}: the naive baseline showed no violation, so this test could not \
         see one; raise GUARDED_RACE_TRIALS"
    );
    assert_eq!(
        guarded, 0,
        "transfer vs {write:?}: guarded writes after the transfer"
    );
    assert!(
        won > 0 && won < trials(TRIALS),
        "transfer vs {write:?}: the guarded writer must both win and lose races ({won} won)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stamp_lands_after_the_item_changed_hands() {
    scenario(Write::Stamp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_delete_lands_after_the_item_changed_hands() {
    scenario(Write::Delete).await;
}
