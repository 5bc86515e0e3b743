//! `TransactWriteItems`: every item conditioned like its single-item request (an item on an
//! `unguarded` table as written), the token's checks added; the first refused condition
//! tells why the whole transaction was.

use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsOutput, builders::TransactWriteItemsFluentBuilder,
};
use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, TransactWriteItem};

use super::checked::{Part, Transaction};
use super::claims::Bound;
use super::condition::{Op, written};
use super::expression::{Expression, Guarded, Ownership};
use super::item::Item;
use super::scope::{self, Fields};
use super::{DynamoDb, DynamoError, Table, Unguarded};
use crate::jwt::GuardClaims;
use crate::{Error, Guard};

/// Every item of the transaction on a table of `tables` conditioned (in its scope), every
/// item on one of `unguarded` as written, and the policy's token checks added.
#[doc(hidden)]
pub async fn transact_write_items<C: GuardClaims, A>(
    guard: &Guard<DynamoDb, C, A>,
    tables: &[Table],
    unguarded: &[Unguarded],
    fields: Fields<'_>,
    builder: TransactWriteItemsFluentBuilder,
) -> Result<TransactWriteItemsOutput, Error> {
    let claims = Bound::of(guard).with(fields);
    // Every table of a fn carries the same `[token]` checks.
    let valid = tables
        .first()
        .map(|t| t.valid)
        .or_else(|| unguarded.first().map(|u| u.valid))
        .unwrap_or_default();
    claims.require(valid)?;
    let items = builder.get_transact_items().clone().unwrap_or_default();
    let mut transaction = Transaction::default();
    for mut item in items {
        let part = part(&mut item, tables, unguarded, &claims)?;
        transaction.push(item, part);
    }
    for check in valid {
        transaction
            .check(guard.handle(), check, Part::Token, &claims, &Item::new())
            .await?;
    }
    Ok(transaction.send_as(builder, &claims).await?)
}

/// One item of the transaction, conditioned unless its table is `unguarded`.
fn part<'t>(
    item: &mut TransactWriteItem,
    tables: &'t [Table],
    unguarded: &[Unguarded],
    claims: &Bound,
) -> Result<Part<'t>, Error> {
    // The condition goes on one request, and the table that decides whether the item is
    // guarded is one request's: an item holding two would send the other as written.
    let requests = [
        item.update.is_some(),
        item.delete.is_some(),
        item.put.is_some(),
        item.condition_check.is_some(),
    ];
    let count = requests.iter().filter(|r| **r).count();
    if count != 1 {
        return Err(DynamoError::refused(format!(
            "a transaction item holding {count} requests: give each put, update, delete or \
             condition check its own `TransactWriteItem`"
        ))
        .into());
    }
    let free = name(item).is_some_and(|n| unguarded.iter().any(|u| u.name == n));
    Ok(if free {
        Part::Unguarded
    } else {
        Part::Guarded(condition(item, tables, claims)?)
    })
}

/// The table an item names.
fn name(item: &TransactWriteItem) -> Option<&str> {
    let TransactWriteItem {
        update,
        delete,
        put,
        condition_check,
        ..
    } = item;
    None.or(update.as_ref().map(|r| r.table_name.as_str()))
        .or(delete.as_ref().map(|r| r.table_name.as_str()))
        .or(put.as_ref().map(|r| r.table_name.as_str()))
        .or(condition_check.as_ref().map(|r| r.table_name.as_str()))
}

fn table<'t>(name: &str, tables: &'t [Table]) -> Result<&'t Table, Error> {
    tables.iter().find(|t| t.name == name).ok_or_else(|| {
        let guarded: Vec<&str> = tables.iter().map(|t| t.name).collect();
        DynamoError::refused(format!(
            "a transaction item on table `{name}`, which the fn does not guard ({})",
            guarded.join(", ")
        ))
        .into()
    })
}

/// Conditions one item; returns the write, to tell its refusal.
fn condition<'t>(
    item: &mut TransactWriteItem,
    tables: &'t [Table],
    claims: &Bound,
) -> Result<Guarded<'t>, Error> {
    let subject = claims.subject();
    let all_old = Some(ReturnValuesOnConditionCheckFailure::AllOld);
    // Update, Delete and Put hold their condition and maps in fields of the same names.
    macro_rules! guard {
        ($request:expr, $ownership:expr, $op:expr) => {{
            let request = $request;
            let table = table(&request.table_name, tables)?;
            let write = Guarded {
                table,
                ownership: $ownership,
                op: $op,
                theirs: Expression {
                    condition: request.condition_expression.take(),
                    names: request.expression_attribute_names.take(),
                    values: request.expression_attribute_values.take(),
                },
                scope: claims.scope(table)?,
            };
            let mut e = write.theirs.clone();
            e.guard(
                write.table.owner,
                subject.clone(),
                $ownership,
                &write.scope,
                &write.conditions(),
            )?;
            request.condition_expression = e.condition;
            request.expression_attribute_names = e.names;
            request.expression_attribute_values = e.values;
            request.return_values_on_condition_check_failure = all_old;
            return Ok(write);
        }};
    }
    if let Some(update) = &mut item.update {
        let scope = claims.scope(table(&update.table_name, tables)?)?;
        let names = update.expression_attribute_names.as_ref();
        scope::unwritten(
            &scope,
            written(&update.update_expression, names),
            &update.table_name,
        )?;
        guard!(update, Ownership::Mine, Op::Update);
    }
    if let Some(delete) = &mut item.delete {
        guard!(delete, Ownership::Mine, Op::Delete);
    }
    if let Some(put) = &mut item.put {
        let table = table(&put.table_name, tables)?;
        put.item.insert(table.owner.to_owned(), subject.clone());
        scope::put(&claims.scope(table)?, &mut put.item, table.name)?;
        // A put over an existing item replaces it: the update's conditions apply.
        guard!(put, Ownership::MineOrNone, Op::Update);
    }
    if let Some(check) = &mut item.condition_check {
        // A check writes nothing: it requires the owner and the scope alone, whatever the
        // conditions say of the item.
        let table = table(&check.table_name, tables)?;
        let write = Guarded {
            table,
            ownership: Ownership::Mine,
            op: Op::Check,
            theirs: Expression {
                condition: Some(std::mem::take(&mut check.condition_expression)),
                names: check.expression_attribute_names.take(),
                values: check.expression_attribute_values.take(),
            },
            scope: claims.scope(table)?,
        };
        let mut e = write.theirs.clone();
        e.guard(
            write.table.owner,
            subject.clone(),
            Ownership::Mine,
            &write.scope,
            &[],
        )?;
        check.condition_expression = e.condition.unwrap_or_default();
        (
            check.expression_attribute_names,
            check.expression_attribute_values,
        ) = (e.names, e.values);
        check.return_values_on_condition_check_failure = all_old;
        return Ok(write);
    }
    Err(DynamoError::refused("a transaction item with no request".to_owned()).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Deny;
    use crate::dynamo::{Condition, Rule, Value};
    use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, Update};

    const TABLE: Table = Table {
        name: "items",
        owner: "owner_id",
        deny: Deny::NotFound,
        conditions: &[Condition {
            code: "archived",
            update: Some(Rule::Not(&Rule::Eq("archived", Value::Bool(true)))),
            delete: None,
        }],
        version: None,
        valid: &[],
        grants: crate::dynamo::Grants {
            read: None,
            update: None,
            update_attributes: None,
            delete: None,
        },
        scope: &[],
    };

    fn key() -> std::collections::HashMap<String, AttributeValue> {
        [("id".to_owned(), AttributeValue::S("1".into()))].into()
    }

    fn conditioned(mut item: TransactWriteItem) -> String {
        let alice = Bound::subject_only(AttributeValue::S("alice".into()));
        condition(&mut item, &[TABLE], &alice).expect("conditioned");
        let (update, delete, check) = (item.update, item.delete, item.condition_check);
        update
            .and_then(|u| u.condition_expression)
            .or_else(|| delete.and_then(|d| d.condition_expression))
            .or_else(|| check.map(|c| c.condition_expression))
            .expect("a condition")
    }

    #[test]
    fn a_transactions_update_carries_the_states_a_delete_and_a_check_do_not() {
        let update = Update::builder()
            .table_name("items")
            .set_key(Some(key()))
            .update_expression("SET archived = :f")
            .build()
            .unwrap();
        let update = conditioned(TransactWriteItem::builder().update(update).build());
        assert!(
            update.contains("#guarded_owner = :guarded_subject AND (NOT (#guarded_condition = "),
            "{update}"
        );
        let delete = Delete::builder()
            .table_name("items")
            .set_key(Some(key()))
            .build()
            .unwrap();
        let delete = conditioned(TransactWriteItem::builder().delete(delete).build());
        assert_eq!(delete, "#guarded_owner = :guarded_subject");
        let check = ConditionCheck::builder()
            .table_name("items")
            .set_key(Some(key()))
            .condition_expression("attribute_exists(id)")
            .build()
            .unwrap();
        let check = conditioned(TransactWriteItem::builder().condition_check(check).build());
        assert_eq!(
            check,
            "(attribute_exists(id)) AND #guarded_owner = :guarded_subject"
        );
    }

    #[test]
    fn an_item_holding_more_than_one_request_is_refused() {
        let alice = Bound::subject_only(AttributeValue::S("alice".into()));
        let free = [Unguarded {
            name: "audit",
            valid: &[],
        }];
        let update = |table: &str| {
            Update::builder()
                .table_name(table)
                .set_key(Some(key()))
                .update_expression("SET title = :t")
                .build()
                .unwrap()
        };
        let put = Put::builder()
            .table_name("items")
            .set_item(Some(key()))
            .build()
            .unwrap();
        let delete = Delete::builder()
            .table_name("items")
            .set_key(Some(key()))
            .build()
            .unwrap();
        let items = [
            TransactWriteItem::builder()
                .put(put.clone())
                .update(update("items"))
                .build(),
            // The first request's table is unguarded: the second must not go as written.
            TransactWriteItem::builder()
                .update(update("audit"))
                .delete(delete.clone())
                .build(),
            TransactWriteItem::builder().build(),
        ];
        for mut item in items {
            let refused = part(&mut item, &[TABLE], &free, &alice);
            assert!(refused.is_err(), "{item:?}");
        }
        let mut one = TransactWriteItem::builder().put(put).build();
        assert!(part(&mut one, &[TABLE], &free, &alice).is_ok());
        let put = one.put.expect("the put");
        assert!(
            put.condition_expression
                .is_some_and(|c| c.contains("#guarded_owner"))
        );
    }
}
