//! A guarded DynamoDB update next to the alternatives, as ratios from one run, against the
//! server of `GUARDED_TEST_DYNAMODB`:
//!
//! ```sh
//! GUARDED_TEST_DYNAMODB=http://127.0.0.1:4566 cargo bench -p guarded-dynamodb
//! ```
//!
//! - *hand-written*: the same conditional `UpdateItem` written by hand (condition, names,
//!   values, `ALL_OLD` on refusal): what the guard costs on top of the request (goal ≥ 0.97);
//! - *get-then-update*: `GetItem`, the owner compared in Rust, then `UpdateItem` by key: the
//!   racy handler, one round trip more.
//!
//! Each round runs every alternative for `GUARDED_BENCH_CALLS` sequential calls (200 by
//! default), in turn; a ratio is the guarded fn's calls per second over the alternative's, the
//! median over `GUARDED_BENCH_ROUNDS` rounds (7), printed with the rounds' range and the
//! machine's load average. Nothing is asserted. Run without `--bench`
//! (as `cargo test --benches` does) it is a one-round smoke test of 10 calls.

use std::time::Instant;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use guarded_dynamodb::local::{self, guard};
use guarded_dynamodb::{TABLE, rename};
use guarded_testkit::bench::{self, median, spread_text};

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

async fn by_hand(client: &Client, id: &str, title: &str) {
    client
        .update_item()
        .table_name(TABLE)
        .key("id", s(id))
        .update_expression("SET title = :title")
        .condition_expression("#guarded_owner = :guarded_subject")
        .expression_attribute_names("#guarded_owner", "owner_id")
        .expression_attribute_values(":title", s(title))
        .expression_attribute_values(":guarded_subject", s("alice"))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .expect("the update");
}

async fn get_then_update(client: &Client, id: &str, title: &str) {
    let item = client
        .get_item()
        .table_name(TABLE)
        .key("id", s(id))
        .send()
        .await
        .expect("the read")
        .item;
    let owner = item
        .as_ref()
        .and_then(|i| i.get("owner_id")?.as_s().ok().cloned());
    assert_eq!(owner.as_deref(), Some("alice"));
    client
        .update_item()
        .table_name(TABLE)
        .key("id", s(id))
        .update_expression("SET title = :title")
        .expression_attribute_values(":title", s(title))
        .send()
        .await
        .expect("the update");
}

/// Calls per second of `calls` sequential calls of alternative `which`.
async fn rate(client: &Client, id: &str, which: usize, calls: usize) -> f64 {
    let started = Instant::now();
    for n in 0..calls {
        let title = format!("t{n}");
        match which {
            0 => rename(guard(client, "alice"), id, &title)
                .await
                .expect("guarded"),
            1 => by_hand(client, id, &title).await,
            _ => get_then_update(client, id, &title).await,
        }
    }
    f64::from(u32::try_from(calls).expect("calls")) / started.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(endpoint) = local::endpoint() else {
        eprintln!("GUARDED_TEST_DYNAMODB is unset: nothing to measure");
        return;
    };
    let (rounds, calls) = bench::rounds_and_calls(7, 200);
    let before = bench::load_average();
    let client = local::client(&endpoint);
    local::create_tables(&client)
        .await
        .expect("the items table");
    let id = format!("bench-{}", std::process::id());
    client
        .put_item()
        .table_name(TABLE)
        .item("id", s(&id))
        .item("owner_id", s("alice"))
        .send()
        .await
        .expect("the item");
    let (mut hand, mut racy, mut guarded) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let g = rate(&client, &id, 0, calls).await;
        hand.push(g / rate(&client, &id, 1, calls).await);
        racy.push(g / rate(&client, &id, 2, calls).await);
        guarded.push(g);
    }
    println!("DynamoDB update, {rounds} rounds of {calls} calls each, median of rounds:");
    println!(
        "  guarded:                         {:.0} calls/s",
        median(guarded)
    );
    println!(
        "  guarded / hand-written condition: {} (goal >= 0.97)",
        spread_text(hand)
    );
    println!("  guarded / get-then-update:        {}", spread_text(racy));
    println!(
        "  load average before / after:      {before} / {}",
        bench::load_average()
    );
}
