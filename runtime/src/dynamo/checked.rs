//! Writes sent with checks of other items: the writes and every check as one
//! `TransactWriteItems`, so DynamoDB decides them together, and a refusal told apart by the
//! item each cancellation reason names.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsOutput, builders::TransactWriteItemsFluentBuilder,
};
use aws_sdk_dynamodb::types::{
    CancellationReason, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use super::DynamoError;
use super::check::Check;
use super::claims::{Bound, revoked};
use super::condition::Maps;
use super::expression::{Guarded, balanced, operand};
use super::item::Item;
use crate::{Deny, Error};

/// What one item of a transaction is, to tell its refusal.
pub(crate) enum Part<'t> {
    /// A write on a guarded table, or the fn's own `ConditionCheck` on one.
    Guarded(Guarded<'t>),
    /// A request on a table the fn names `unguarded`.
    Unguarded,
    /// A check of the policy's `[token] valid`: its refusal is a 401 `revoked`.
    Token,
    /// The check of the grant a write goes by: its refusal denies the write.
    Grant(Deny),
}

/// A refused write; `theirs` is another owner's item the refusal returned, which a grant may
/// still let the caller write.
pub(crate) struct Refused {
    pub error: Error,
    pub theirs: Option<Item>,
}

impl From<Error> for Refused {
    fn from(error: Error) -> Self {
        Self {
            error,
            theirs: None,
        }
    }
}

impl From<Refused> for Error {
    fn from(refused: Refused) -> Self {
        refused.error
    }
}

/// A transaction as the guard builds it.
#[derive(Default)]
pub(crate) struct Transaction<'t> {
    items: Vec<TransactWriteItem>,
    parts: Vec<Part<'t>>,
    /// Token checks AND-ed into the condition of the item they look up: a transaction cannot
    /// hold two requests on one item (a logout's put of its own `jti`).
    merged: Vec<Vec<Check>>,
}

/// The parts of a transaction item a check on the same item touches.
struct Target<'i> {
    table: &'i str,
    /// The item's key, or a put's whole item.
    key: &'i Item,
    /// Whether `key` is a put's item, which holds the key among its other attributes.
    whole: bool,
    /// A `ConditionCheck`'s condition is required, the others' optional.
    condition: Condition<'i>,
    names: &'i mut Option<std::collections::HashMap<String, String>>,
    values: &'i mut Option<Item>,
    all_old: &'i mut Option<ReturnValuesOnConditionCheckFailure>,
}

enum Condition<'i> {
    Optional(&'i mut Option<String>),
    Required(&'i mut String),
}

fn target(item: &mut TransactWriteItem) -> Option<Target<'_>> {
    macro_rules! target {
        ($r:expr, $key:ident, $whole:expr, $condition:ident) => {{
            let r = $r;
            Target {
                table: &r.table_name,
                key: &r.$key,
                whole: $whole,
                condition: Condition::$condition(&mut r.condition_expression),
                names: &mut r.expression_attribute_names,
                values: &mut r.expression_attribute_values,
                all_old: &mut r.return_values_on_condition_check_failure,
            }
        }};
    }
    if let Some(r) = &mut item.update {
        return Some(target!(r, key, false, Optional));
    }
    if let Some(r) = &mut item.delete {
        return Some(target!(r, key, false, Optional));
    }
    if let Some(r) = &mut item.put {
        return Some(target!(r, item, true, Optional));
    }
    if let Some(r) = &mut item.condition_check {
        return Some(target!(r, key, false, Required));
    }
    None
}

impl Target<'_> {
    /// Whether this request is on the item of `table` with `key`.
    fn is(&self, table: &str, key: &Item) -> bool {
        self.table == table
            && if self.whole {
                key.iter().all(|(k, v)| self.key.get(k) == Some(v))
            } else {
                self.key == key
            }
    }
}

impl<'t> Transaction<'t> {
    pub(crate) fn push(&mut self, item: TransactWriteItem, part: Part<'t>) {
        self.items.push(item);
        self.parts.push(part);
        self.merged.push(Vec::new());
    }

    /// Adds `check` as its own `ConditionCheck`, or into the condition of the item it looks
    /// up when the transaction already requests that item. `item` holds the guarded item's
    /// attributes the check's key may name.
    pub(crate) async fn check(
        &mut self,
        client: &Client,
        check: &Check,
        part: Part<'t>,
        claims: &Bound,
        item: &Item,
    ) -> Result<(), Error> {
        let key = check.key(claims, item)?;
        let same = if matches!(part, Part::Token) {
            self.items.iter_mut().enumerate().find_map(|(at, request)| {
                let t = target(request)?;
                t.is(check.table, &key).then_some((at, t.whole))
            })
        } else {
            None
        };
        // A put names its item by all its attributes: it is the check's item only if the
        // check's key is the table's whole key, which DynamoDB validates for a standalone
        // check but not for a condition AND-ed into a put.
        let same = match same {
            Some((_, true)) if !whole_key(client, check).await? => None,
            same => same,
        };
        if let Some((at, _)) = same {
            let t = target(&mut self.items[at]).expect("a request found above");
            merge(t, check, claims)?;
            self.merged[at].push(*check);
            return Ok(());
        }
        let request = check.condition_check(claims, item)?;
        self.push(
            TransactWriteItem::builder()
                .condition_check(request)
                .build(),
            part,
        );
        Ok(())
    }

    /// Sends the transaction on `client`: all of it is written, or none and the first reason
    /// says why.
    pub(crate) async fn send(self, client: &Client, claims: &Bound) -> Result<(), Refused> {
        self.send_as(client.transact_write_items(), claims)
            .await
            .map(drop)
    }

    /// `send`, with the other parameters of `builder` (an idempotency token, consumed
    /// capacity).
    pub(crate) async fn send_as(
        self,
        builder: TransactWriteItemsFluentBuilder,
        claims: &Bound,
    ) -> Result<TransactWriteItemsOutput, Refused> {
        let Self {
            items,
            parts,
            merged,
        } = self;
        let sent = builder.set_transact_items(Some(items)).send().await;
        let e = match sent {
            Ok(output) => return Ok(output),
            Err(SdkError::ServiceError(e)) => e,
            Err(e) => return Err(Error::from(DynamoError::sdk(e)).into()),
        };
        let TransactWriteItemsError::TransactionCanceledException(cancelled) = e.err() else {
            return Err(Error::from(DynamoError::sdk(SdkError::ServiceError(e))).into());
        };
        let failed: Vec<(usize, &CancellationReason)> = cancelled
            .cancellation_reasons()
            .iter()
            .enumerate()
            .filter(|(_, reason)| reason.code() == Some("ConditionalCheckFailed"))
            .collect();
        // A revoked token is the answer wherever it shows: nothing else about the request
        // is the caller's business then.
        let revoked_token = failed.iter().any(|(at, reason)| {
            matches!(parts.get(*at), Some(Part::Token))
                || merged
                    .get(*at)
                    .is_some_and(|m| m.iter().any(|c| !c.holds(reason.item(), claims)))
        });
        if revoked_token {
            return Err(revoked(claims).into());
        }
        // A refused grant denies the write: the write's own refusal (a condition, a version) would
        // tell a caller the grant does not cover about an item they may not write.
        let grant_refused = failed.iter().find_map(|(at, _)| match parts.get(*at) {
            Some(Part::Grant(deny)) => Some(*deny),
            _ => None,
        });
        let subject = claims.subject();
        let told = failed.iter().find_map(|(at, reason)| {
            Some(match parts.get(*at)? {
                Part::Guarded(write) => Refused {
                    error: match (write.refusal(reason.item(), subject), grant_refused) {
                        // No item, or one of another scope: the denial it is.
                        (denied @ Error::Denied(_), _) | (denied, None) => denied,
                        (_, Some(deny)) => Error::Denied(deny),
                    },
                    theirs: write
                        .another_owners(reason.item(), subject)
                        .then(|| reason.item().cloned())
                        .flatten(),
                },
                Part::Unguarded => Error::Conflict("condition_failed").into(),
                Part::Token => revoked(claims).into(),
                Part::Grant(deny) => Error::Denied(*deny).into(),
            })
        });
        Err(told.unwrap_or_else(|| Error::from(DynamoError::sdk(SdkError::ServiceError(e))).into()))
    }
}

/// Whether `check` names its table's whole key (`DescribeTable`).
async fn whole_key(client: &Client, check: &Check) -> Result<bool, Error> {
    let described = client
        .describe_table()
        .table_name(check.table)
        .send()
        .await
        .map_err(DynamoError::sdk)?;
    let mut schema: Vec<&str> = described
        .table()
        .map(|t| {
            t.key_schema()
                .iter()
                .map(aws_sdk_dynamodb::types::KeySchemaElement::attribute_name)
                .collect()
        })
        .unwrap_or_default();
    let mut named: Vec<&str> = check.key.iter().map(|(attribute, _)| *attribute).collect();
    schema.sort_unstable();
    named.sort_unstable();
    Ok(schema == named)
}

/// AND-s `check` into the condition of the item it looks up, and asks for that item when the
/// condition refuses, to tell the check's refusal from the request's own.
fn merge(t: Target<'_>, check: &Check, claims: &Bound) -> Result<(), Error> {
    let names = t.names.get_or_insert_with(Default::default);
    let values = t.values.get_or_insert_with(Default::default);
    let rendered = check.render(&mut Maps {
        names,
        values,
        claims: Some(claims),
    });
    let and = |condition: &str| -> Result<String, Error> {
        if condition.trim().is_empty() {
            Ok(rendered.clone())
        } else {
            balanced(condition)?;
            Ok(format!("{} AND {rendered}", operand(condition)))
        }
    };
    match t.condition {
        Condition::Optional(c) => *c = Some(and(c.as_deref().unwrap_or_default())?),
        Condition::Required(c) => *c = and(c)?,
    }
    *t.all_old = Some(ReturnValuesOnConditionCheckFailure::AllOld);
    if t.values
        .as_ref()
        .is_some_and(std::collections::HashMap::is_empty)
    {
        *t.values = None;
    }
    Ok(())
}
