//! A revocation racing a write, on the server of `GUARDED_TEST_DYNAMODB`, under the demo's
//! `guarded.toml`: a logout while the token's holder renames their item, an unshare while the
//! grantee renames the shared item. Each scenario runs first with the naive handler (read the
//! revocation or the share, decide in Rust, write by key), which must show violations (the
//! test can see one), then with the guarded fn, which must show none.
//!
//! A violation is a rename found in the stored item although it was sent after the
//! revocation had been answered: the write then came strictly after the revocation, so a
//! sound handler refuses it whatever the interleaving before.
//!
//! `GUARDED_RACE_TRIALS` sets the trials per scenario and way (150 when unset).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use guarded::{Claims, DynamoDb, Guard, guarded};
use guarded_testkit::dynamodb::{self, s};
use guarded_testkit::race::{Way, jitter, trials};

/// Trials per scenario and way when `GUARDED_RACE_TRIALS` is unset.
const TRIALS: usize = 150;

/// Renames item `id`: the owner's, or a grantee's whose share lets them write; and only
/// while the caller's token is not revoked. No rule is spelled here.
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Revocation {
    /// The owner's token is logged out.
    Logout,
    /// The grantee's write share is removed.
    Unshare,
}

/// How long each side of a trial may wait before it starts, and how long the naive handler
/// pauses between its check and its write (reading the body, say), in microseconds.
#[derive(Clone, Copy, Debug)]
struct Timing {
    window: u64,
    pause: u64,
}

impl Timing {
    /// Scaled to the server: the guarded write must be able to land before the revocation
    /// and after it, and a local server's transactions take from a few to tens of
    /// milliseconds (moto's slow down as its tables grow). The window is four guarded writes
    /// long; the naive pause a tenth of it, so its check and its write straddle the
    /// revocation in some trials.
    async fn measured(client: &Client, revocation: Revocation, run: u128) -> Self {
        let mut slowest = Duration::ZERO;
        for n in 0..3 {
            let key = format!("race-{run}-{revocation:?}-timing-{n}");
            seed(client, &key).await;
            let writer = revocation.writer();
            let started = Instant::now();
            rename(guard(client, writer, &format!("{key}-jti")), &key, "timing")
                .await
                .expect("a guarded rename before any revocation");
            slowest = slowest.max(started.elapsed());
        }
        let window = u64::try_from(slowest.as_micros() * 4)
            .unwrap_or(u64::MAX)
            .max(4000);
        Self {
            window,
            pause: (window / 10).max(1000),
        }
    }
}

impl Revocation {
    /// Who renames: the owner, whose token is logged out, or the grantee.
    fn writer(self) -> &'static str {
        match self {
            Self::Logout => "olga",
            Self::Unshare => "gus",
        }
    }
}

/// Item `key` of olga, shared with gus for writing.
async fn seed(client: &Client, key: &str) {
    client
        .put_item()
        .table_name("items")
        .item("id", s(key))
        .item("owner_id", s("olga"))
        .item("title", s("before"))
        .send()
        .await
        .expect("a seeded item");
    client
        .put_item()
        .table_name("shares")
        .item("item_id", s(key))
        .item("user_id", s("gus"))
        .item("can_write", AttributeValue::Bool(true))
        .send()
        .await
        .expect("a seeded share");
}

fn guard(client: &Client, sub: &str, jti: &str) -> Guard<DynamoDb> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let claims: Claims = serde_json::from_value(serde_json::json!({
        "sub": sub, "exp": now + 600, "iat": now, "jti": jti,
    }))
    .expect("claims");
    Guard::trusted(client.clone(), claims)
}

/// One trial: the item, its share, the revocation at a random moment and the rename at
/// another. `(violations, renames stored)`.
async fn trial(
    client: &Client,
    key: String,
    way: Way,
    revocation: Revocation,
    timing: Timing,
) -> (usize, usize) {
    seed(client, &key).await;
    let writer = revocation.writer();
    let jti = format!("{key}-jti");
    let answered: Arc<OnceLock<Instant>> = Arc::default();
    let revoker = {
        let (client, key, jti, answered) =
            (client.clone(), key.clone(), jti.clone(), answered.clone());
        tokio::spawn(async move {
            jitter(timing.window).await;
            match revocation {
                Revocation::Logout => {
                    client
                        .put_item()
                        .table_name("revoked_tokens")
                        .item("jti", s(&jti))
                        .send()
                        .await
                        .expect("the logout");
                }
                Revocation::Unshare => {
                    client
                        .delete_item()
                        .table_name("shares")
                        .key("item_id", s(&key))
                        .key("user_id", s("gus"))
                        .send()
                        .await
                        .expect("the unshare");
                }
            }
            answered.set(Instant::now()).expect("answered once");
        })
    };
    jitter(timing.window).await;
    let marker = format!("renamed-{key}");
    let sent = match way {
        Way::Naive => naive(client, &key, &jti, revocation, &marker, timing.pause).await,
        Way::Guarded => {
            let sent = Instant::now();
            // Refused or not, what counts is what the item holds afterwards.
            let _ = rename(guard(client, writer, &jti), &key, &marker).await;
            Some(sent)
        }
    };
    revoker.await.expect("the revoker");
    let stored = client
        .get_item()
        .table_name("items")
        .key("id", s(&key))
        .consistent_read(true)
        .send()
        .await
        .expect("a read")
        .item
        .unwrap_or_default();
    let renamed = stored.get("title") == Some(&s(&marker));
    let after = sent
        .zip(answered.get())
        .is_some_and(|(sent, answered)| sent > *answered);
    (usize::from(renamed && after), usize::from(renamed))
}

/// The naive handler: read the revocation (or the share), decide in Rust, then write by key.
/// Returns when the write was sent, if it was.
async fn naive(
    client: &Client,
    key: &str,
    jti: &str,
    revocation: Revocation,
    marker: &str,
    pause: u64,
) -> Option<Instant> {
    let allowed = match revocation {
        Revocation::Logout => client
            .get_item()
            .table_name("revoked_tokens")
            .key("jti", s(jti))
            .consistent_read(true)
            .send()
            .await
            .expect("a read")
            .item
            .is_none(),
        Revocation::Unshare => client
            .get_item()
            .table_name("shares")
            .key("item_id", s(key))
            .key("user_id", s("gus"))
            .consistent_read(true)
            .send()
            .await
            .expect("a read")
            .item
            .is_some_and(|share| share.get("can_write") == Some(&AttributeValue::Bool(true))),
    };
    if !allowed {
        return None;
    }
    // What a handler does between its check and its write (reading the body, say).
    tokio::time::sleep(Duration::from_micros(pause)).await;
    let sent = Instant::now();
    client
        .update_item()
        .table_name("items")
        .key("id", s(key))
        .update_expression("SET title = :t")
        .expression_attribute_values(":t", s(marker))
        .send()
        .await
        .expect("a write");
    Some(sent)
}

async fn scenario(revocation: Revocation) {
    let Some(endpoint) = dynamodb::endpoint() else {
        return;
    };
    let client = items_api_dynamodb::client(&endpoint);
    items_api_dynamodb::create_tables(&client)
        .await
        .expect("the tables");
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    let timing = Timing::measured(&client, revocation, run).await;
    let mut found = [(0, 0), (0, 0)];
    for (i, way) in [Way::Naive, Way::Guarded].into_iter().enumerate() {
        for t in 0..trials(TRIALS) {
            let key = format!("race-{run}-{revocation:?}-{way:?}-{t}");
            let (violations, renamed) = trial(&client, key, way, revocation, timing).await;
            found[i].0 += violations;
            found[i].1 += renamed;
        }
    }
    let ((naive, _), (guarded, won)) = (found[0], found[1]);
    eprintln!(
        "{revocation:?} vs rename on DynamoDB: {} trials, {timing:?}; violations: naive {naive}, \
         guarded {guarded} (guarded renames stored {won})",
        trials(TRIALS)
    );
    assert!(
        naive > 0,
        "{revocation:?} vs rename: the naive baseline showed no violation, so this test could \
         not see one; raise GUARDED_RACE_TRIALS"
    );
    assert_eq!(
        guarded, 0,
        "{revocation:?} vs rename: guarded renames sent after the revocation answered"
    );
    assert!(
        won > 0 && won < trials(TRIALS),
        "{revocation:?} vs rename: the guarded writer must both win and lose races ({won} won)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_rename_lands_after_its_token_was_logged_out() {
    scenario(Revocation::Logout).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_grantee_rename_lands_after_the_share_was_removed() {
    scenario(Revocation::Unshare).await;
}
