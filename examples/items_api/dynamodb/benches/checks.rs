//! What the checks of other items cost on DynamoDB, under the demo's `guarded.toml`, as
//! ratios from one run against the server of `GUARDED_TEST_DYNAMODB`:
//!
//! ```sh
//! GUARDED_TEST_DYNAMODB=http://127.0.0.1:4566 cargo bench -p items_api_dynamodb
//! ```
//!
//! - *owner, hand-written*: the owner's rename as the guard sends it, written by hand: one
//!   `TransactWriteItems` with the update and the token's two `ConditionCheck`s (goal ≥ 0.97);
//! - *owner, check-then-write*: `GetItem` of the revocation and of the user, decided in Rust,
//!   then the conditional `UpdateItem`: the racy alternative, three round trips;
//! - *grantee, hand-written*: a grantee's rename as one transaction with the share's check
//!   as well, which the guard sends first once the grantee's first rename landed by the share
//!   (goal ≥ 0.9).
//!
//! Each round runs every alternative for `GUARDED_BENCH_CALLS` sequential calls (200 by
//! default), in turn; a ratio is the guarded fn's calls per second over the alternative's,
//! the median over `GUARDED_BENCH_ROUNDS` rounds (7), printed with the rounds' range and the
//! machine's load (`/proc/loadavg`) before and after. Nothing is asserted. Run without
//! `--bench` (as `cargo test --benches` does) it is a one-round smoke test of 10 calls.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};
use guarded::{Claims, DynamoDb, Guard, guarded};
use guarded_testkit::bench::{self, median, spread_text};
use guarded_testkit::dynamodb::s;

/// The rename, as a handler writes it: no rule spelled.
#[guarded]
async fn rename(guard: Guard<DynamoDb>, id: &str, title: &str) -> Result<(), guarded::Error> {
    guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", s(id))
        .update_expression("SET title = :t")
        .expression_attribute_values(":t", s(title))
        .send()
        .await?;
    Ok(())
}

const IAT: u64 = 1_700_000_000;

fn guard(client: &Client, sub: &str) -> Guard<DynamoDb> {
    let claims: Claims = serde_json::from_value(serde_json::json!({
        "sub": sub, "exp": u64::MAX / 2, "iat": IAT, "jti": format!("bench-{sub}"),
    }))
    .expect("claims");
    Guard::trusted(client.clone(), claims)
}

/// A `ConditionCheck` of `key` in `table`.
fn check(
    table: &str,
    key: &[(&str, &str)],
    condition: &str,
    values: &[(&str, AttributeValue)],
) -> TransactWriteItem {
    let values: HashMap<String, AttributeValue> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(
            key.iter().map(|(k, v)| ((*k).to_owned(), s(v))).collect(),
        ))
        .condition_expression(condition)
        .set_expression_attribute_values((!values.is_empty()).then_some(values))
        .build()
        .expect("a check");
    TransactWriteItem::builder().condition_check(check).build()
}

/// The token's checks, as the guard adds them.
fn token_checks(sub: &str) -> [TransactWriteItem; 2] {
    [
        check(
            "revoked_tokens",
            &[("jti", &format!("bench-{sub}"))],
            "attribute_not_exists(jti)",
            &[],
        ),
        check(
            "users",
            &[("id", sub)],
            "attribute_not_exists(id) OR (NOT tokens_valid_after > :iat)",
            &[(":iat", AttributeValue::N(IAT.to_string()))],
        ),
    ]
}

/// The rename by hand, as one transaction: `condition` on the item, the token's checks, and
/// `more`.
async fn by_hand(client: &Client, id: &str, title: &str, sub: &str, grantee: bool) {
    let mut values = HashMap::from([(":t".to_owned(), s(title))]);
    let condition = if grantee {
        "attribute_exists(owner_id) AND (NOT (archived = :true))"
    } else {
        values.insert(":me".to_owned(), s(sub));
        "owner_id = :me AND (NOT (archived = :true))"
    };
    values.insert(":true".to_owned(), AttributeValue::Bool(true));
    let update = Update::builder()
        .table_name("items")
        .key("id", s(id))
        .update_expression("SET title = :t")
        .condition_expression(condition)
        .set_expression_attribute_values(Some(values))
        .build()
        .expect("an update");
    let mut items = vec![TransactWriteItem::builder().update(update).build()];
    items.extend(token_checks(sub));
    if grantee {
        items.push(check(
            "shares",
            &[("item_id", id), ("user_id", sub)],
            "attribute_exists(item_id) AND can_write = :true",
            &[(":true", AttributeValue::Bool(true))],
        ));
    }
    client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
        .expect("the transaction");
}

/// The racy handler: read the revocation and the user, decide in Rust, then write.
async fn check_then_write(client: &Client, id: &str, title: &str) {
    let revoked = client
        .get_item()
        .table_name("revoked_tokens")
        .key("jti", s("bench-olga"))
        .consistent_read(true)
        .send()
        .await
        .expect("a read")
        .item;
    let user = client
        .get_item()
        .table_name("users")
        .key("id", s("olga"))
        .consistent_read(true)
        .send()
        .await
        .expect("a read")
        .item;
    let cutoff = user.as_ref().and_then(|u| {
        u.get("tokens_valid_after")?
            .as_n()
            .ok()?
            .parse::<u64>()
            .ok()
    });
    assert!(revoked.is_none() && cutoff.is_none_or(|c| c <= IAT));
    client
        .update_item()
        .table_name("items")
        .key("id", s(id))
        .update_expression("SET title = :t")
        .condition_expression("owner_id = :me AND (NOT (archived = :true))")
        .expression_attribute_values(":t", s(title))
        .expression_attribute_values(":me", s("olga"))
        .expression_attribute_values(":true", AttributeValue::Bool(true))
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
            0 => rename(guard(client, "olga"), id, &title)
                .await
                .expect("guarded"),
            1 => by_hand(client, id, &title, "olga", false).await,
            2 => check_then_write(client, id, &title).await,
            3 => rename(guard(client, "gus"), id, &title)
                .await
                .expect("guarded"),
            _ => by_hand(client, id, &title, "gus", true).await,
        }
    }
    f64::from(u32::try_from(calls).expect("calls")) / started.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Ok(endpoint) = std::env::var("GUARDED_TEST_DYNAMODB") else {
        eprintln!("GUARDED_TEST_DYNAMODB is unset: nothing to measure");
        return;
    };
    let (rounds, calls) = bench::rounds_and_calls(7, 200);
    let client = items_api_dynamodb::client(&endpoint);
    items_api_dynamodb::create_tables(&client)
        .await
        .expect("the tables");
    let id = format!("bench-checks-{}", std::process::id());
    client
        .put_item()
        .table_name("items")
        .item("id", s(&id))
        .item("owner_id", s("olga"))
        .send()
        .await
        .expect("the item");
    client
        .put_item()
        .table_name("shares")
        .item("item_id", s(&id))
        .item("user_id", s("gus"))
        .item("can_write", AttributeValue::Bool(true))
        .send()
        .await
        .expect("the share");
    let before = bench::load_average();
    let mut ratios = [Vec::new(), Vec::new(), Vec::new()];
    let mut guarded = Vec::new();
    for _ in 0..rounds {
        let owner = rate(&client, &id, 0, calls).await;
        ratios[0].push(owner / rate(&client, &id, 1, calls).await);
        ratios[1].push(owner / rate(&client, &id, 2, calls).await);
        let grantee = rate(&client, &id, 3, calls).await;
        ratios[2].push(grantee / rate(&client, &id, 4, calls).await);
        guarded.push(owner);
    }
    let [hand, racy, grant] = ratios.map(spread_text);
    println!(
        "DynamoDB rename under [token] and grants, {rounds} rounds of {calls} calls, medians \
         (range):"
    );
    println!(
        "  guarded owner:                             {:.0} calls/s",
        median(guarded)
    );
    println!("  guarded owner / the same transaction:      {hand} (goal >= 0.97)");
    println!("  guarded owner / GetItem x2, then UpdateItem: {racy}");
    println!("  guarded grantee / the grant's transaction: {grant} (goal >= 0.9)");
    println!(
        "  load average before / after: {before} / {}",
        bench::load_average()
    );
}
