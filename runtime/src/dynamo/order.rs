//! Which attempt a write a grant may allow sends first: the owner's or the grant's.
//!
//! The owner's attempt is one conditional request (a transaction with the token's checks
//! under `[token]`); the grant's is a `TransactWriteItems` of the write and the
//! `ConditionCheck` of the grant's item, beside the token's. They cannot be one request: a
//! transaction is cancelled by any of its conditions, and a condition reads only its own
//! item, so "the item is mine, or my share of it exists" has no expression. Sent owner first,
//! a grantee's write costs the owner's refused request and then the grant's; so the process
//! remembers, for each table and subject, whether the caller's last write landed by a grant,
//! and then sends the grant's attempt first.
//!
//! The order changes the cost, never the outcome:
//! - each attempt carries its whole rule as conditions DynamoDB decides with the write, so
//!   whichever lands was allowed when it landed, whichever went first;
//! - a refused attempt wrote nothing: the grant's attempt refused first is set aside and the
//!   owner-first sequence runs as if it had not been sent, so a refusal answers what the
//!   owner-first order answers (status, code, tracing event). Two answers of the grant's stand
//!   as they are: a revoked token, which the owner's attempt (carrying the same checks) would
//!   answer as well, a revocation being final, and answered once, with its one event; and a
//!   request that went out unanswered, which may have been written and is never followed by
//!   another write;
//! - on an item both rules allow (the caller's own, shared with themselves) the grant's
//!   attempt may be the one that lands: the same write, answered without values, which a
//!   write that asks for them never is (the grant's attempt refuses it before sending, and the
//!   owner's goes);
//! - the memo holds the caller's own successes, keyed by their subject: no other caller sets
//!   the order of their requests, and a guess that misses costs its round trip, no more.

use std::collections::HashSet;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::sync::{LazyLock, Mutex, PoisonError};

use aws_sdk_dynamodb::types::AttributeValue;

use super::checked::Refused;
use crate::Error;

/// The (table, subject) pairs a process remembers; past it, the memo starts over, which costs
/// each grantee one owner's attempt.
const CAPACITY: usize = 4096;

/// The hashes of the (table, subject) pairs whose last write landed by a grant. A collision
/// orders one caller's attempts by another's history: a round trip, nothing more. The keys
/// are random per process, so no caller can aim for one.
struct Memo {
    keys: RandomState,
    by_grant: Mutex<HashSet<u64>>,
}

static MEMO: LazyLock<Memo> = LazyLock::new(|| Memo {
    keys: RandomState::new(),
    by_grant: Mutex::new(HashSet::new()),
});

/// A write's caller on one table, as the memo knows them.
#[derive(Clone, Copy)]
pub(crate) struct Caller(Option<u64>);

impl Caller {
    /// `subject` writing on `table`; a subject that is neither a string nor a number is never
    /// remembered.
    pub(crate) fn new(table: &str, subject: &AttributeValue) -> Self {
        let subject = match subject {
            AttributeValue::S(s) => (0_u8, s.as_str()),
            AttributeValue::N(n) => (1_u8, n.as_str()),
            _ => return Self(None),
        };
        Self(Some(MEMO.keys.hash_one((table, subject))))
    }

    fn by_grant_last(self) -> bool {
        self.0.is_some_and(|key| memo().contains(&key))
    }

    fn remember(self, by_grant: bool) {
        let Some(key) = self.0 else { return };
        let mut memo = memo();
        if !by_grant {
            memo.remove(&key);
            return;
        }
        if memo.len() >= CAPACITY {
            memo.clear();
        }
        memo.insert(key);
    }
}

/// The memo stays whole whatever a holder did: a poisoned lock is taken over.
fn memo() -> std::sync::MutexGuard<'static, HashSet<u64>> {
    MEMO.by_grant.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A write `owner` sends as the caller's and `grantee` under the grant: the owner's first,
/// then, on another owner's item, the grant's; or the grant's first when the caller's last
/// write landed by it (see the module's rules).
pub(crate) async fn write<W, T, O, G>(
    caller: Caller,
    builder: W,
    owner: impl Fn(W) -> O,
    grantee: impl Fn(W) -> G,
) -> Result<T, Error>
where
    W: Clone,
    O: Future<Output = Result<T, Refused>>,
    G: Future<Output = Result<T, Refused>>,
{
    let guessed = caller.by_grant_last();
    if guessed {
        match grantee(builder.clone()).await {
            Ok(output) => return Ok(output),
            Err(refused) if stands(&refused.error) => return Err(refused.error),
            Err(_) => {}
        }
    }
    let outcome = match owner(builder.clone()).await {
        Ok(output) => Ok((output, false)),
        Err(Refused {
            theirs: Some(_), ..
        }) => grantee(builder).await.map(|output| (output, true)),
        Err(refused) => Err(refused),
    };
    match outcome {
        Ok((output, by_grant)) => {
            if by_grant != guessed {
                caller.remember(by_grant);
            }
            Ok(output)
        }
        Err(refused) => {
            // A denial: whatever grant the caller had does not hold here.
            if guessed && matches!(refused.error, Error::Denied(_)) {
                caller.remember(false);
            }
            Err(refused.error)
        }
    }
}

/// Whether a refusal of the grant's attempt sent first is the answer as it is: a revoked
/// token, or a request that may have been written.
fn stands(error: &Error) -> bool {
    match error {
        Error::Unauthorized(_) => true,
        Error::DynamoDb(e) => e.unanswered(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::Deny;
    use crate::dynamo::DynamoError;
    use crate::jwt::{TokenCode, TokenError};

    /// What each attempt answers in a world that holds still while the write runs.
    #[derive(Clone, Copy, Debug)]
    enum Answer {
        Written,
        /// Refused, another owner's item returned.
        Theirs,
        Denied,
        Archived,
        Revoked,
        /// Not the owner's: a transaction that cannot be built.
        Unbuilt,
    }

    fn answer(a: Answer) -> Result<&'static str, Refused> {
        let refused = |error| {
            Err(Refused {
                error,
                theirs: None,
            })
        };
        match a {
            Answer::Written => Ok("written"),
            Answer::Theirs => Err(Refused {
                error: Error::Denied(Deny::NotFound),
                theirs: Some(crate::dynamo::item::Item::new()),
            }),
            Answer::Denied => refused(Error::Denied(Deny::NotFound)),
            Answer::Archived => refused(Error::Conflict("archived")),
            Answer::Revoked => refused(Error::Unauthorized(TokenError::new(TokenCode::Revoked))),
            Answer::Unbuilt => refused(DynamoError::refused("unbuilt".to_owned()).into()),
        }
    }

    /// The write with `owner` and `grantee` answering as given: its outcome, and how many
    /// requests each attempt sent.
    async fn run(caller: Caller, owner: Answer, grantee: Answer) -> (String, usize, usize) {
        let (owners, grantees) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let outcome = write(
            caller,
            (),
            |()| {
                owners.fetch_add(1, Ordering::Relaxed);
                async move { answer(owner) }
            },
            |()| {
                grantees.fetch_add(1, Ordering::Relaxed);
                async move { answer(grantee) }
            },
        )
        .await;
        let outcome = match outcome {
            Ok(output) => output.to_owned(),
            Err(e) => format!("{e:?}"),
        };
        (outcome, owners.into_inner(), grantees.into_inner())
    }

    /// Runs `f`, whose attempts answer at once.
    fn block<F: Future>(f: F) -> F::Output {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(f).poll(&mut cx) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("an attempt that waits"),
        }
    }

    fn caller(name: &str) -> Caller {
        Caller::new("order-tests", &AttributeValue::S(name.to_owned()))
    }

    #[test]
    fn a_grantee_sends_the_grants_attempt_first_once_it_landed() {
        block(async {
            let gus = caller("gus");
            assert_eq!(
                run(gus, Answer::Theirs, Answer::Written).await,
                ("written".to_owned(), 1, 1)
            );
            assert_eq!(
                run(gus, Answer::Theirs, Answer::Written).await,
                ("written".to_owned(), 0, 1),
                "one request"
            );
            // On the caller's own item the guess misses, and the owner's lands.
            assert_eq!(
                run(gus, Answer::Written, Answer::Denied).await,
                ("written".to_owned(), 1, 1)
            );
            assert_eq!(
                run(gus, Answer::Written, Answer::Denied).await,
                ("written".to_owned(), 1, 0),
                "the owner's first again"
            );
        });
    }

    /// Every world the two attempts can answer in, each with the memo guessing the owner and
    /// the grant: the same outcome, so the order tells an attacker nothing and lets nothing
    /// more through.
    #[test]
    fn both_orders_answer_alike() {
        use Answer::{Archived, Denied, Revoked, Theirs, Unbuilt, Written};
        // (owner's, grant's): the owner's refusal without another's item is one the grant's
        // condition refuses as well (no item, another scope, the caller's own item
        // refused by a condition); a revoked token refuses both.
        let worlds = [
            (Written, Written),
            (Written, Denied),
            (Written, Archived),
            (Written, Unbuilt),
            (Theirs, Written),
            (Theirs, Denied),
            (Theirs, Archived),
            (Theirs, Unbuilt),
            (Denied, Denied),
            (Archived, Archived),
            (Archived, Denied),
            (Denied, Unbuilt),
            (Revoked, Revoked),
        ];
        block(async {
            for (n, (owner, grantee)) in worlds.into_iter().enumerate() {
                let fresh = caller(&format!("fresh-{n}"));
                let (first, ..) = run(fresh, owner, grantee).await;
                let guessed = caller(&format!("guessed-{n}"));
                guessed.remember(true);
                let (second, ..) = run(guessed, owner, grantee).await;
                assert_eq!(first, second, "{owner:?} {grantee:?}");
            }
        });
    }

    #[test]
    fn a_revoked_token_or_an_unanswered_request_is_the_answer() {
        block(async {
            let ann = caller("ann");
            ann.remember(true);
            let (revoked, owners, _) = run(ann, Answer::Revoked, Answer::Revoked).await;
            assert!(revoked.contains("Revoked"), "{revoked}");
            assert_eq!(owners, 0, "answered once");
        });
        let unanswered = Error::from(DynamoError::sdk(aws_sdk_dynamodb::error::SdkError::<
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
            (),
        >::timeout_error("no answer")));
        assert!(stands(&unanswered));
        assert!(!stands(&DynamoError::refused("unbuilt".to_owned()).into()));
        assert!(!stands(&Error::Denied(Deny::NotFound)));
    }

    #[test]
    fn a_denial_forgets_the_grant() {
        block(async {
            let sam = caller("sam");
            sam.remember(true);
            assert_eq!(
                run(sam, Answer::Theirs, Answer::Denied).await,
                (format!("{:?}", Error::Denied(Deny::NotFound)), 1, 2)
            );
            assert!(!sam.by_grant_last());
        });
    }
}
