//! The single-item requests and the reads: each checked, conditioned, sent, and its refusal
//! told apart.

use std::future::Future;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::{
    DeleteItemError, DeleteItemOutput, builders::DeleteItemFluentBuilder,
};
use aws_sdk_dynamodb::operation::get_item::{GetItemOutput, builders::GetItemFluentBuilder};
use aws_sdk_dynamodb::operation::put_item::{
    PutItemError, PutItemOutput, builders::PutItemFluentBuilder,
};
use aws_sdk_dynamodb::operation::query::{QueryOutput, builders::QueryFluentBuilder};
use aws_sdk_dynamodb::operation::scan::{ScanOutput, builders::ScanFluentBuilder};
use aws_sdk_dynamodb::operation::update_item::{
    UpdateItemError, UpdateItemOutput, builders::UpdateItemFluentBuilder,
};
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

use super::check::{Check, valid_after_read};
use super::checked::{Part, Refused, Transaction};
use super::claims::Bound;
use super::condition::{Op, compared, written};
use super::expression::{Expression, Guarded, Ownership, owned};
use super::item::{Item, same_value, subject_value, unused};
use super::order;
use super::scope::Scope;
use super::scope::{self, Fields};
use super::{DynamoDb, DynamoError, Table};
use crate::jwt::GuardClaims;
use crate::{Deny, Error, Guard};

/// A request on `got` in a fn guarding `table` only: the macro checked the literal, this
/// checks what the builder holds.
fn check_table(got: Option<&str>, table: &Table) -> Result<(), Error> {
    if got == Some(table.name) {
        Ok(())
    } else {
        Err(DynamoError::refused(format!(
            "a request on table {got:?} in a fn that guards `{}`",
            table.name
        ))
        .into())
    }
}

/// A legacy parameter (`Expected`, `QueryFilter`, ...) cannot be combined with the
/// expressions the guard adds.
fn legacy(parameter: Option<&'static str>) -> Result<(), Error> {
    match parameter {
        None => Ok(()),
        Some(p) => Err(DynamoError::refused(format!(
            "the legacy parameter `{p}` cannot be combined with the owner's condition; write \
             it as a condition expression"
        ))
        .into()),
    }
}

/// What a write's service error is.
pub(crate) enum Refusal<'e> {
    /// The condition refused the write; the item as it was, if there was one.
    Condition(Option<&'e Item>),
    Other,
}

/// A single-item write the guard conditions.
pub(crate) trait Write: Sized + Send + Clone {
    type Output;
    type Failure: std::error::Error
        + aws_sdk_dynamodb::error::ProvideErrorMetadata
        + Send
        + Sync
        + 'static;
    fn table(&self) -> Option<&str>;
    fn legacy(&self) -> Option<&'static str>;
    fn expression(&self) -> Expression;
    /// The builder with `e` in place of its condition and maps, asking for the old item when
    /// the condition refuses.
    fn with(self, e: Expression) -> Self;
    fn send(
        self,
    ) -> impl Future<Output = Result<Self::Output, SdkError<Self::Failure, HttpResponse>>> + Send;
    /// Whether `e` is a refused condition, and the item it returned.
    fn refused(e: &Self::Failure) -> Refusal<'_>;
    /// The request's key, or a put's item.
    fn key(&self) -> Item;
    /// Whether it asks for values back, which a transaction does not return.
    fn returns(&self) -> bool;
    /// The attributes it writes, for an update grant; `None` when that cannot be told.
    fn written(&self) -> Option<Vec<String>>;
    /// The request as a transaction's item.
    fn transact(self) -> Result<TransactWriteItem, Error>;
    /// The output of a write sent as a transaction: it returns nothing.
    fn empty() -> Self::Output;
}

macro_rules! write {
    (
        $builder:ty, $output:ty, $error:ident, [$($legacy:ident),*],
        $request:ident { $($set:ident: $get:ident),* }, $variant:ident, $key:ident, $written:expr
    ) => {
        impl Write for $builder {
            type Output = $output;
            type Failure = $error;
            fn table(&self) -> Option<&str> {
                self.get_table_name().as_deref()
            }
            fn legacy(&self) -> Option<&'static str> {
                $(if self.$legacy().is_some() {
                    return Some(stringify!($legacy).trim_start_matches("get_"));
                })*
                None
            }
            fn expression(&self) -> Expression {
                Expression {
                    condition: self.get_condition_expression().clone(),
                    names: self.get_expression_attribute_names().clone(),
                    values: self.get_expression_attribute_values().clone(),
                }
            }
            fn with(self, e: Expression) -> Self {
                self.set_condition_expression(e.condition)
                    .set_expression_attribute_names(e.names)
                    .set_expression_attribute_values(e.values)
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    )
            }
            fn send(
                self,
            ) -> impl Future<Output = Result<$output, SdkError<$error, HttpResponse>>> + Send {
                <$builder>::send(self)
            }
            fn refused(e: &$error) -> Refusal<'_> {
                match e {
                    $error::ConditionalCheckFailedException(e) => Refusal::Condition(e.item()),
                    _ => Refusal::Other,
                }
            }
            fn key(&self) -> Item {
                self.$key().clone().unwrap_or_default()
            }
            fn returns(&self) -> bool {
                self.get_return_values()
                    .as_ref()
                    .is_some_and(|r| *r != ReturnValue::None)
            }
            fn written(&self) -> Option<Vec<String>> {
                let written: fn(&Self) -> Option<Vec<String>> = $written;
                written(self)
            }
            fn transact(self) -> Result<TransactWriteItem, Error> {
                let request = $request::builder()
                    .set_table_name(self.get_table_name().clone())
                    $(.$set(self.$get().clone()))*
                    .set_condition_expression(self.get_condition_expression().clone())
                    .set_expression_attribute_names(
                        self.get_expression_attribute_names().clone(),
                    )
                    .set_expression_attribute_values(
                        self.get_expression_attribute_values().clone(),
                    )
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    )
                    .build()
                    .map_err(|e| DynamoError::refused(format!("the request: {e}")))?;
                Ok(TransactWriteItem::builder().$variant(request).build())
            }
            fn empty() -> $output {
                <$output>::builder().build()
            }
        }
    };
}

write!(
    UpdateItemFluentBuilder,
    UpdateItemOutput,
    UpdateItemError,
    [
        get_expected,
        get_conditional_operator,
        get_attribute_updates
    ],
    Update {
        set_key: get_key,
        set_update_expression: get_update_expression
    },
    update,
    get_key,
    |b| written(
        b.get_update_expression().as_deref().unwrap_or_default(),
        b.get_expression_attribute_names().as_ref()
    )
);
write!(
    DeleteItemFluentBuilder,
    DeleteItemOutput,
    DeleteItemError,
    [get_expected, get_conditional_operator],
    Delete { set_key: get_key },
    delete,
    get_key,
    |_| Some(Vec::new())
);
write!(
    PutItemFluentBuilder,
    PutItemOutput,
    PutItemError,
    [get_expected, get_conditional_operator],
    Put { set_item: get_item },
    put,
    get_item,
    |_| None
);

/// A guarded write: as the caller's or, on another owner's item a grant covers, as the
/// grantee's, in the order `order` decides. Each attempt decides its own `Ownership` with its write,
/// so whichever lands was allowed when it landed.
async fn write<W: Write, C: GuardClaims, A>(
    guard: &Guard<DynamoDb, C, A>,
    table: &Table,
    fields: Fields<'_>,
    builder: W,
    ownership: Ownership,
    op: Op,
) -> Result<W::Output, Error> {
    check_table(builder.table(), table)?;
    legacy(builder.legacy())?;
    let claims = Bound::of(guard).with(fields);
    claims.require(table.valid)?;
    let scope = claims.scope(table)?;
    if op == Op::Update && ownership == Ownership::Mine {
        scope::unwritten(&scope, builder.written(), table.name)?;
    }
    let grant = match op {
        Op::Update => table.grants.update.as_ref(),
        Op::Delete => table.grants.delete.as_ref(),
        Op::Check => None,
    }
    .filter(|_| ownership == Ownership::Mine && granted(&builder, table, op));
    let (client, scope, claims) = (guard.handle(), &scope, &claims);
    let owner = move |b| attempt(client, table, scope, b, ownership, op, claims, None);
    let Some(check) = grant else {
        return Ok(owner(builder).await?);
    };
    let grantee = move |b| {
        attempt(
            client,
            table,
            scope,
            b,
            Ownership::Granted,
            op,
            claims,
            Some(check),
        )
    };
    let caller = order::Caller::new(table.name, claims.subject());
    // Boxed: its attempts and the builder it keeps would make every write's future as large.
    Box::pin(order::write(caller, builder, owner, grantee)).await
}

/// Whether `builder` writes only what the table's update grant lets a grantee write: never
/// the owner, and only the listed attributes when there is a list.
fn granted<W: Write>(builder: &W, table: &Table, op: Op) -> bool {
    if op != Op::Update {
        return true;
    }
    builder.written().is_some_and(|written| {
        written.iter().all(|a| {
            a != table.owner
                && table
                    .grants
                    .update_attributes
                    .is_none_or(|allowed| allowed.contains(&a.as_str()))
        })
    })
}

/// One attempt at a write under `ownership`: alone, or as a transaction with the checks of other
/// items (the token's, and `grant`'s when the write goes by a grant).
#[allow(clippy::too_many_arguments)]
async fn attempt<W: Write>(
    client: &Client,
    table: &Table,
    scope: &Scope,
    builder: W,
    ownership: Ownership,
    op: Op,
    claims: &Bound,
    grant: Option<&Check>,
) -> Result<W::Output, Refused> {
    let subject = claims.subject();
    let write = Guarded {
        table,
        ownership,
        op,
        theirs: builder.expression(),
        scope: scope.clone(),
    };
    let mut expression = write.theirs.clone();
    expression.guard(
        table.owner,
        subject.clone(),
        ownership,
        &write.scope,
        &write.conditions(),
    )?;
    let builder = builder.with(expression);
    if table.valid.is_empty() && grant.is_none() {
        return match builder.send().await {
            Ok(output) => Ok(output),
            Err(SdkError::ServiceError(e)) => match W::refused(e.err()) {
                Refusal::Condition(item) => Err(Refused {
                    error: write.refusal(item, subject),
                    theirs: write
                        .another_owners(item, subject)
                        .then(|| item.cloned())
                        .flatten(),
                }),
                Refusal::Other => {
                    Err(Error::from(DynamoError::sdk(SdkError::ServiceError(e))).into())
                }
            },
            Err(e) => Err(Error::from(DynamoError::sdk(e)).into()),
        };
    }
    if builder.returns() {
        return Err(Error::from(no_values(table.name)).into());
    }
    let key = builder.key();
    let mut transaction = Transaction::default();
    transaction.push(builder.transact()?, Part::Guarded(write));
    if let Some(check) = grant {
        transaction
            .check(client, check, Part::Grant(table.deny), claims, &key)
            .await?;
    }
    for check in table.valid {
        transaction
            .check(client, check, Part::Token, claims, &Item::new())
            .await?;
    }
    transaction.send(client, claims).await?;
    Ok(W::empty())
}

/// A write that must be a transaction asked for values back.
pub(crate) fn no_values(table: &str) -> DynamoError {
    DynamoError::refused(format!(
        "a write on `{table}` is sent as a transaction with the checks of other items (the \
         policy's `[token]` or a grant), and DynamoDB returns no values from a transaction: \
         leave out `.return_values(..)` and read the item after the write"
    ))
}

/// `UpdateItem` of the caller's item, or of one the table's update grant lets them write.
#[doc(hidden)]
pub async fn update_item<C: GuardClaims, A>(
    guard: &Guard<DynamoDb, C, A>,
    table: &Table,
    fields: Fields<'_>,
    builder: UpdateItemFluentBuilder,
) -> Result<UpdateItemOutput, Error> {
    write(guard, table, fields, builder, Ownership::Mine, Op::Update).await
}

/// `DeleteItem` of the caller's item, or of one the table's delete grant lets them delete.
#[doc(hidden)]
pub async fn delete_item<C: GuardClaims, A>(
    guard: &Guard<DynamoDb, C, A>,
    table: &Table,
    fields: Fields<'_>,
    builder: DeleteItemFluentBuilder,
) -> Result<DeleteItemOutput, Error> {
    write(guard, table, fields, builder, Ownership::Mine, Op::Delete).await
}

/// `PutItem` owned by the caller in the caller's scope, over no item or the caller's own.
#[doc(hidden)]
pub async fn put_item<C: GuardClaims, A>(
    guard: &Guard<DynamoDb, C, A>,
    table: &Table,
    fields: Fields<'_>,
    builder: PutItemFluentBuilder,
) -> Result<PutItemOutput, Error> {
    let scope = Bound::of(guard).with(fields).scope(table)?;
    let mut item = builder.get_item().clone().unwrap_or_default();
    item.insert(table.owner.to_owned(), subject_value(guard.subject()));
    scope::put(&scope, &mut item, table.name)?;
    let builder = builder.set_item(Some(item));
    // A put over an existing item replaces it: the update's conditions apply.
    write(
        guard,
        table,
        fields,
        builder,
        Ownership::MineOrNone,
        Op::Update,
    )
    .await
}

/// `GetItem`: another owner's item is a denial, unless the table's read grant holds for the
/// caller. A projection that leaves the owner out gets it added for the check, and removed
/// from the item returned.
#[doc(hidden)]
pub async fn get_item<C: GuardClaims, A>(
    guard: &Guard<DynamoDb, C, A>,
    table: &Table,
    fields: Fields<'_>,
    builder: GetItemFluentBuilder,
) -> Result<GetItemOutput, Error> {
    check_table(builder.get_table_name().as_deref(), table)?;
    legacy(
        builder
            .get_attributes_to_get()
            .as_ref()
            .map(|_| "attributes_to_get"),
    )?;
    let claims = Bound::of(guard).with(fields);
    claims.require(table.valid)?;
    let scope = claims.scope(table)?;
    let key = builder.get_key().clone().unwrap_or_default();
    let checked: Vec<&str> = std::iter::once(table.owner)
        .chain(scope.iter().map(|(attribute, _)| *attribute))
        .collect();
    let (builder, added) = project(builder, &checked);
    let mut output = builder.send().await.map_err(DynamoError::sdk)?;
    if let Some(item) = &mut output.item {
        // Another scope's item is no one's to the caller, whoever owns it or shares it.
        if !scope::holds(&scope, item) {
            return Err(Error::Denied(Deny::NotFound));
        }
        if !owned(item, table.owner, claims.subject()) {
            // The grant is read after the item: a share revoked in between denies.
            let shared = match &table.grants.read {
                Some(check) => check.read(guard.handle(), &claims, &key).await?,
                None => false,
            };
            if !shared {
                return Err(Error::Denied(table.deny));
            }
        }
        for attribute in added {
            item.remove(&attribute);
        }
    }
    valid_after_read(guard.handle(), table.valid, &claims).await?;
    Ok(output)
}

/// The builder with `attributes` (the owner, the scope's) in its projection; returns those it
/// added, to remove from the item read.
fn project(
    builder: GetItemFluentBuilder,
    attributes: &[&str],
) -> (GetItemFluentBuilder, Vec<String>) {
    let Some(mut projection) = builder
        .get_projection_expression()
        .clone()
        .filter(|p| !p.trim().is_empty())
    else {
        return (builder, Vec::new());
    };
    let mut names = builder
        .get_expression_attribute_names()
        .clone()
        .unwrap_or_default();
    let mut added = Vec::new();
    for attribute in attributes {
        let projected = projection
            .split(',')
            .map(str::trim)
            .any(|path| path == *attribute || names.get(path).is_some_and(|n| n == attribute));
        if projected {
            continue;
        }
        let name = unused("#guarded_owner", |k| names.contains_key(k));
        names.insert(name.clone(), (*attribute).to_owned());
        projection = format!("{projection}, {name}");
        added.push((*attribute).to_owned());
    }
    if added.is_empty() {
        return (builder, added);
    }
    let builder = builder
        .projection_expression(projection)
        .set_expression_attribute_names(Some(names));
    (builder, added)
}

/// Whether a query's key condition already requires the owner attribute to be the caller
/// (an index keyed by owner): a key condition is a conjunction, and DynamoDB refuses a filter
/// on a key attribute, so the guard's filter would be redundant and refused.
fn pinned(
    key_condition: Option<&str>,
    e: &Expression,
    owner: &str,
    subject: &AttributeValue,
) -> bool {
    key_condition.is_some_and(|k| {
        compared(k, e.names.as_ref(), e.values.as_ref(), owner)
            .is_some_and(|value| same_value(Some(value), subject))
    })
}

/// What a read's filter must add of the scope: the attributes its key condition does not
/// pin to the caller's claims; `None` when the key condition pins one to another value, so
/// that the read can find nothing in the caller's scope.
fn unpinned(key_condition: Option<&str>, e: &Expression, scope: &Scope) -> Option<Scope> {
    let mut unpinned = Scope::new();
    for (attribute, claim) in scope {
        let pinned =
            key_condition.and_then(|k| compared(k, e.names.as_ref(), e.values.as_ref(), attribute));
        match pinned {
            Some(value) if same_value(Some(value), claim) => {}
            Some(_) => return None,
            None => unpinned.push((attribute, claim.clone())),
        }
    }
    Some(unpinned)
}

/// A read whose filter the guard extends.
macro_rules! read {
    ($name:ident, $builder:ty, $output:ty, [$($legacy:ident),*], $key:expr) => {
        /// The caller's items only, in the caller's scope: the owner and the scope AND-ed into
        /// the filter, less what a query's key condition already pins to the caller (a
        /// key condition pinning a scope attribute to another value reads nothing). `Limit`
        /// counts the items read before the filter, as for any filter: a page may hold fewer
        /// (or none) with a `LastEvaluatedKey`, and the fn pages on.
        #[doc(hidden)]
        pub async fn $name<C: GuardClaims, A>(
            guard: &Guard<DynamoDb, C, A>,
            table: &Table,
            fields: Fields<'_>,
            builder: $builder,
        ) -> Result<$output, Error> {
            check_table(builder.get_table_name().as_deref(), table)?;
            $(legacy(builder.$legacy().as_ref().map(|_| {
                stringify!($legacy).trim_start_matches("get_")
            }))?;)*
            let claims = Bound::of(guard).with(fields);
            claims.require(table.valid)?;
            let scope = claims.scope(table)?;
            let subject = claims.subject().clone();
            let mut filter = Expression {
                condition: builder.get_filter_expression().clone(),
                names: builder.get_expression_attribute_names().clone(),
                values: builder.get_expression_attribute_values().clone(),
            };
            let key: fn(&$builder) -> Option<&str> = $key;
            let Some(scope) = unpinned(key(&builder), &filter, &scope) else {
                valid_after_read(guard.handle(), table.valid, &claims).await?;
                return Ok(<$output>::builder()
                    .set_items(Some(Vec::new()))
                    .count(0)
                    .scanned_count(0)
                    .build());
            };
            if pinned(key(&builder), &filter, table.owner, &subject) {
                filter.restrict(&scope)?;
            } else {
                filter.guard(table.owner, subject, Ownership::Mine, &scope, &[])?;
            }
            let output = builder
                .set_filter_expression(filter.condition)
                .set_expression_attribute_names(filter.names)
                .set_expression_attribute_values(filter.values)
                .send()
                .await
                .map_err(DynamoError::sdk)?;
            valid_after_read(guard.handle(), table.valid, &claims).await?;
            Ok(output)
        }
    };
}

read!(
    query,
    QueryFluentBuilder,
    QueryOutput,
    [
        get_key_conditions,
        get_query_filter,
        get_conditional_operator,
        get_attributes_to_get
    ],
    |b| b.get_key_condition_expression().as_deref()
);
read!(
    scan,
    ScanFluentBuilder,
    ScanOutput,
    [
        get_scan_filter,
        get_conditional_operator,
        get_attributes_to_get
    ],
    |_| None
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_condition_pins_the_owner_only_to_the_caller() {
        let me = AttributeValue::S("alice".into());
        let e = |value: &str| Expression {
            condition: None,
            names: Some([("#o".to_owned(), "owner_id".to_owned())].into()),
            values: Some([(":me".to_owned(), AttributeValue::S(value.into()))].into()),
        };
        assert!(pinned(Some("#o = :me"), &e("alice"), "owner_id", &me));
        assert!(pinned(
            Some("owner_id = :me AND sk > :me"),
            &e("alice"),
            "owner_id",
            &me
        ));
        assert!(
            !pinned(Some("#o = :me"), &e("bob"), "owner_id", &me),
            "another owner"
        );
        assert!(
            !pinned(Some("id = :me"), &e("alice"), "owner_id", &me),
            "another key"
        );
        assert!(!pinned(
            Some("begins_with(#o, :me)"),
            &e("alice"),
            "owner_id",
            &me
        ));
        assert!(!pinned(None, &e("alice"), "owner_id", &me));
    }
}
