//! What a `Guard<DynamoDb>` fn may do, and what it is told when it does something else.
//!
//! The runtime adds the owner's condition to the request a chain builds; anything that could
//! change the request after that, send it another way, or hide its table from the macro is
//! refused here.

use syn::Ident;

use super::operation::Operation;
use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::policy::FILE;
use crate::policy::Owner;

/// The one shape of a request, named in every error about a use of the guard.
const SHAPE: &str = "a `Guard<DynamoDb>` runs requests only as one chain \
                     `guard.client().<operation>()...send()`";

/// A use of the guard that is neither a request nor a read of the caller.
pub fn other_use() -> String {
    format!(
        "{SHAPE}, and is otherwise only read with `guard.subject()` or `guard.claims()`; \
         build each request right here in one expression, and hand helpers the subject or \
         the claims, not the guard"
    )
}

/// `guard.client()` that does not start a whole request.
pub fn kept_client() -> String {
    format!(
        "{SHAPE}: the guard adds its condition where that chain ends, so the client cannot be \
         kept or handed on; write the whole request here, from `guard.client()` to `.send()`"
    )
}

/// A request chain without its `.send()`.
pub fn unsent() -> String {
    format!(
        "{SHAPE}: end this chain with `.send()` in the same expression, where the guard adds \
         its condition; a builder cannot be kept in a variable and sent later"
    )
}

/// The guard inside another macro's tokens, other than as a read of the caller.
pub const GUARD_IN_MACRO: &str = "inside another macro the guard can only be read, as \
                                  `guard.subject()` or `guard.claims()`: the macro cannot \
                                  expand a request there; send it outside the macro and hand \
                                  the macro its output";

pub const AFTER_SEND: &str = "nothing follows `.send()` in a guarded chain: the chain becomes \
                              the guard's call, which returns a future; `.await` it and use \
                              its output";

pub const SEND_ARGS: &str = "`.send()` takes no arguments in a guarded chain";

/// The input builders' way to send themselves on a client of the caller's choosing.
pub const SEND_WITH: &str = "send_with";

/// A request sent on another client, or an operation taken as a value.
pub fn other_client(what: &str) -> String {
    format!(
        "{what} sends a request on a client the guard does not see, without the owner's \
         condition; {SHAPE}: write the request as that chain, and run requests on the \
         application's own client outside #[guarded] fns"
    )
}

/// Why `op` is not a guarded operation.
pub fn refused_operation(op: &Ident) -> syn::Error {
    let why = match Operation::named(&op.to_string()) {
        Some(Operation::BatchWriteItem) => {
            "BatchWriteItem takes no condition expression, so its writes cannot depend on the \
             owner; use `put_item` or `delete_item` for each item, or `transact_write_items` \
             to write them all or none"
                .to_owned()
        }
        Some(Operation::BatchGetItem | Operation::TransactGetItems) => {
            "it reads several items with no condition the guard can add or check per item; use \
             `get_item` for each key, or `query` with the key condition"
                .to_owned()
        }
        Some(
            Operation::ExecuteStatement
            | Operation::BatchExecuteStatement
            | Operation::ExecuteTransaction,
        ) => format!(
            "PartiQL is a string the macro cannot rewrite, so the guard cannot add its \
             condition; write the request with {}",
            Operation::guarded_listed("or")
        ),
        _ => format!(
            "the guard conditions requests on items only: {}; run other requests (tables, \
             backups, streams) outside #[guarded] fns, with the client from the \
             application's state",
            Operation::guarded_listed("and")
        ),
    };
    syn::Error::new(op.span(), format!("`{op}` cannot be guarded: {why}"))
}

/// Why a method cannot be part of a guarded chain, if it cannot.
pub fn refused_method(method: &Ident) -> Option<syn::Error> {
    let name = method.to_string();
    let why = match name.as_str() {
        "customize" => "it can change the request after the guard has added its condition; \
                        set what the request needs with the builder's own methods"
            .to_owned(),
        "config_override" | "set_config_override" => {
            "it can change the request after the guard has added its condition (interceptors, \
             endpoint); configure the client in the application's state instead"
                .to_owned()
        }
        "set_table_name" => "the table must be a string literal the macro checks against the \
                             guarded tables: write `.table_name(\"items\")`"
            .to_owned(),
        "into_paginator" => "a paginator sends requests the guard does not condition; page \
                             with `.exclusive_start_key(..)`, from the output's \
                             `last_evaluated_key`"
            .to_owned(),
        _ => format!(
            "it is a legacy parameter DynamoDB refuses next to the expressions the guard adds; \
             use {} instead",
            modern(&name)?
        ),
    };
    Some(syn::Error::new(
        method.span(),
        format!("`.{name}(..)` cannot be part of a guarded request: {why}"),
    ))
}

/// The expression that replaces a legacy parameter.
fn modern(legacy: &str) -> Option<&'static str> {
    let legacy = legacy.strip_prefix("set_").unwrap_or(legacy);
    Some(match legacy {
        "expected" => "`.condition_expression(..)`",
        "attribute_updates" => "`.update_expression(..)`",
        "conditional_operator" => "`AND` or `OR` inside the expression",
        "key_conditions" => "`.key_condition_expression(..)`",
        "query_filter" | "scan_filter" => "`.filter_expression(..)`",
        "attributes_to_get" => "`.projection_expression(..)`",
        _ => return None,
    })
}

/// The attribute and the policy: a `Guard<DynamoDb>` fn knows every rule of the policy but
/// `public_read`, and no `dialect`.
pub fn policy(args: &Args, owners: &[Owner], cx: &Ctxt) {
    if owners.iter().any(|o| o.public_read) {
        cx.push(syn::Error::new(
            args.span,
            format!(
                "`public_read` is not supported on DynamoDB: a `Guard<DynamoDb>` fn reads the \
                 caller's items, and those a `read` grant of {FILE} shares; read public items \
                 outside #[guarded] fns"
            ),
        ));
    }
    if let Some((_, span)) = args.dialect {
        cx.push(syn::Error::new(
            span,
            "`dialect` names a SQL database; the guard's type already says DynamoDB: remove it",
        ));
    }
}

/// `deny = 403` on a request of a scoped table.
pub fn forbidden_in_scope(table: &str) -> String {
    format!(
        "`deny = 403` would tell that an item exists outside the caller's scope (another \
         tenant's): `{table}` has a `scope` in {FILE}; drop `deny = 403` (the default answers \
         404 either way)"
    )
}

/// A put naming an attribute its table's scope sets.
pub fn scope_attribute_put(table: &str, attribute: &str) -> String {
    format!(
        "`{attribute}` is set by the `scope` of `{table}` in {FILE}: the guard writes the \
         caller's claim there on every put; leave it out of the item"
    )
}

/// `.return_values(..)` on a write that is always a transaction.
pub const RETURN_VALUES: &str = "with the `[token]` checks of guarded.toml every write of a \
                                 `Guard<DynamoDb>` fn is sent as one transaction with them, and \
                                 DynamoDB returns no values from a transaction: leave out \
                                 `.return_values(..)` and read the item after the write";
