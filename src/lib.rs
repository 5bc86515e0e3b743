//! `guarded`: ownership predicates injected into every SQL statement of a handler.
#![doc = include_str!("../README.md")]

pub use guarded_macros::guarded;
pub use guarded_runtime::{
    Alg, Authenticate, Bearer, Claims, Deny, Error, Guard, GuardClaims, GuardRef, GuardedDb, Key,
    Store, Subject, TokenError, Verifier, VerifierBuilder, VerifierError, bearer_token, jwt,
};
#[cfg(feature = "dynamodb")]
pub use guarded_runtime::{DynamoDb, DynamoError};

#[doc(hidden)]
pub use guarded_runtime::__private;

#[doc = include_str!("docs/attribute.md")]
pub mod attribute {}

#[doc = include_str!("docs/policies.md")]
pub mod policies {}

#[doc = include_str!("docs/refusals.md")]
pub mod refusals {}

#[doc = include_str!("docs/tokens.md")]
pub mod tokens {}

#[doc = include_str!("docs/dynamodb.md")]
pub mod dynamodb {}
