//! Requests on the tables a fn names `unguarded` (a share, a revocation): sent as written,
//! with no owner's condition, and with the policy's `[token]` checks like every request of a
//! guarded fn.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::{
    DeleteItemOutput, builders::DeleteItemFluentBuilder,
};
use aws_sdk_dynamodb::operation::get_item::{GetItemOutput, builders::GetItemFluentBuilder};
use aws_sdk_dynamodb::operation::put_item::{PutItemOutput, builders::PutItemFluentBuilder};
use aws_sdk_dynamodb::operation::query::{QueryOutput, builders::QueryFluentBuilder};
use aws_sdk_dynamodb::operation::scan::{ScanOutput, builders::ScanFluentBuilder};
use aws_sdk_dynamodb::operation::update_item::{
    UpdateItemOutput, builders::UpdateItemFluentBuilder,
};

use super::check::valid_after_read;
use super::checked::{Part, Transaction};
use super::claims::Bound;
use super::item::Item;
use super::ops::{Refusal, Write, no_values};
use super::{DynamoDb, DynamoError, Unguarded};
use crate::jwt::GuardClaims;
use crate::{Error, Guard};

fn check_table(got: Option<&str>, table: &Unguarded) -> Result<(), Error> {
    if got == Some(table.name) {
        Ok(())
    } else {
        Err(DynamoError::refused(format!(
            "a request on table {got:?} where the fn names `{}`",
            table.name
        ))
        .into())
    }
}

/// The write alone, or with the token's checks as one transaction. Its own condition's
/// refusal is a 409 `condition_failed`.
async fn write<W: Write, C: GuardClaims, A>(
    guard: &Guard<DynamoDb, C, A>,
    table: &Unguarded,
    builder: W,
) -> Result<W::Output, Error> {
    check_table(builder.table(), table)?;
    let claims = Bound::of(guard);
    claims.require(table.valid)?;
    if table.valid.is_empty() {
        return match builder.send().await {
            Ok(output) => Ok(output),
            Err(SdkError::ServiceError(e)) => match W::refused(e.err()) {
                Refusal::Condition(_) => Err(Error::Conflict("condition_failed")),
                Refusal::Other => Err(DynamoError::sdk(SdkError::ServiceError(e)).into()),
            },
            Err(e) => Err(DynamoError::sdk(e).into()),
        };
    }
    if builder.returns() {
        return Err(no_values(table.name).into());
    }
    let mut transaction = Transaction::default();
    transaction.push(builder.transact()?, Part::Unguarded);
    for check in table.valid {
        transaction
            .check(guard.handle(), check, Part::Token, &claims, &Item::new())
            .await?;
    }
    transaction.send(guard.handle(), &claims).await?;
    Ok(W::empty())
}

macro_rules! ops {
    ($($name:ident: $builder:ty => $output:ty, $kind:ident;)*) => {$(
        #[doc = concat!("`", stringify!($name), "` on an unguarded table, with the token's checks.")]
        #[doc(hidden)]
        pub async fn $name<C: GuardClaims, A>(
            guard: &Guard<DynamoDb, C, A>,
            table: &Unguarded,
            builder: $builder,
        ) -> Result<$output, Error> {
            ops!(@$kind guard, table, builder)
        }
    )*};
    (@write $guard:ident, $table:ident, $builder:ident) => {
        write($guard, $table, $builder).await
    };
    (@read $guard:ident, $table:ident, $builder:ident) => {{
        check_table($builder.get_table_name().as_deref(), $table)?;
        let claims = Bound::of($guard);
        claims.require($table.valid)?;
        let output = $builder.send().await.map_err(DynamoError::sdk)?;
        valid_after_read($guard.handle(), $table.valid, &claims).await?;
        Ok(output)
    }};
}

ops! {
    update_item: UpdateItemFluentBuilder => UpdateItemOutput, write;
    delete_item: DeleteItemFluentBuilder => DeleteItemOutput, write;
    put_item: PutItemFluentBuilder => PutItemOutput, write;
    get_item: GetItemFluentBuilder => GetItemOutput, read;
    query: QueryFluentBuilder => QueryOutput, read;
    scan: ScanFluentBuilder => ScanOutput, read;
}
