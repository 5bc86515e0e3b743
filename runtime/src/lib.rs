//! Runtime of [`guarded`](https://docs.rs/guarded): the [`Guard`] extractor, the JWT
//! [`Verifier`], and [`Error`]. Depend on `guarded`, which re-exports all of this next to the
//! `#[guarded]` attribute.

mod authenticate;
mod db;
#[cfg(feature = "dynamodb")]
mod dynamo;
mod ending;
mod error;
mod guard;
mod guard_ref;
pub mod jwt;
mod outcome;
mod scope;

#[doc(hidden)]
pub mod __private;

pub use authenticate::{Authenticate, Bearer};
pub use db::{GuardedDb, Store};
#[cfg(feature = "dynamodb")]
pub use dynamo::{DynamoDb, DynamoError};
pub use error::{Deny, Error};
pub use guard::Guard;
pub use guard_ref::GuardRef;
pub use jwt::transport::bearer_token;
pub use jwt::{
    Alg, Claims, GuardClaims, Key, Subject, TokenError, Verifier, VerifierBuilder, VerifierError,
};

#[cfg(all(feature = "rust-crypto", feature = "aws-lc-rs"))]
compile_error!("enable one crypto backend of `guarded`: `rust-crypto` or `aws-lc-rs`, not both");
