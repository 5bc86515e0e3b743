//! `TransactWriteItems`: every item conditioned like its single-item request; the first
//! refused condition tells why the whole transaction was.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsOutput, builders::TransactWriteItemsFluentBuilder,
};
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use super::condition::{Expression, Rule, refusal, subject_value};
use super::{DynamoDb, DynamoError, Table};
use crate::jwt::GuardClaims;
use crate::{Error, Guard};

/// Every item of the transaction on a table of `tables`, each conditioned.
#[doc(hidden)]
pub async fn transact_write_items<C: GuardClaims, A>(
    guard: &Guard<DynamoDb, C, A>,
    tables: &[Table],
    builder: TransactWriteItemsFluentBuilder,
) -> Result<TransactWriteItemsOutput, Error> {
    let subject = subject_value(guard.subject());
    let mut items = builder.get_transact_items().clone().unwrap_or_default();
    let mut guarded = Vec::with_capacity(items.len());
    for item in &mut items {
        guarded.push(condition(item, tables, &subject)?);
    }
    match builder.set_transact_items(Some(items)).send().await {
        Ok(output) => Ok(output),
        Err(SdkError::ServiceError(e)) => {
            let refused = match e.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => cancelled
                    .cancellation_reasons()
                    .iter()
                    .zip(&guarded)
                    .find(|(reason, _)| reason.code() == Some("ConditionalCheckFailed"))
                    .map(|(reason, (table, rule))| refusal(reason.item(), table, &subject, *rule)),
                _ => None,
            };
            Err(refused.unwrap_or_else(|| DynamoError::sdk(SdkError::ServiceError(e)).into()))
        }
        Err(e) => Err(DynamoError::sdk(e).into()),
    }
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

/// Conditions one item; returns its table and rule, to tell its refusal.
fn condition(
    item: &mut TransactWriteItem,
    tables: &[Table],
    subject: &AttributeValue,
) -> Result<(Table, Rule), Error> {
    let all_old = Some(ReturnValuesOnConditionCheckFailure::AllOld);
    // Update, Delete and Put hold their condition and maps in fields of the same names.
    macro_rules! guard {
        ($request:expr, $rule:expr) => {{
            let request = $request;
            let t = table(&request.table_name, tables)?;
            let mut e = Expression {
                condition: request.condition_expression.take(),
                names: request.expression_attribute_names.take(),
                values: request.expression_attribute_values.take(),
            };
            e.guard(t.owner, subject.clone(), $rule)?;
            request.condition_expression = e.condition;
            request.expression_attribute_names = e.names;
            request.expression_attribute_values = e.values;
            request.return_values_on_condition_check_failure = all_old;
            return Ok((*t, $rule));
        }};
    }
    if let Some(update) = &mut item.update {
        guard!(update, Rule::Mine);
    }
    if let Some(delete) = &mut item.delete {
        guard!(delete, Rule::Mine);
    }
    if let Some(put) = &mut item.put {
        let owner = table(&put.table_name, tables)?.owner;
        put.item.insert(owner.to_owned(), subject.clone());
        guard!(put, Rule::MineOrNone);
    }
    if let Some(check) = &mut item.condition_check {
        let t = table(&check.table_name, tables)?;
        let mut e = Expression {
            condition: Some(std::mem::take(&mut check.condition_expression)),
            names: check.expression_attribute_names.take(),
            values: check.expression_attribute_values.take(),
        };
        e.guard(t.owner, subject.clone(), Rule::Mine)?;
        check.condition_expression = e.condition.unwrap_or_default();
        (
            check.expression_attribute_names,
            check.expression_attribute_values,
        ) = (e.names, e.values);
        check.return_values_on_condition_check_failure = all_old;
        return Ok((*t, Rule::Mine));
    }
    Err(DynamoError::refused("a transaction item with no request".to_owned()).into())
}
