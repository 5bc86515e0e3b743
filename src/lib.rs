//! `guarded`: ownership predicates injected into every SQL statement of a handler.
#![doc = include_str!("../README.md")]

pub use guarded_macros::guarded;
pub use guarded_runtime::{
    Claims, Deny, Error, Guard, GuardClaims, GuardedDb, Subject, TokenError, Verifier,
    VerifierError, bearer_token, jwt,
};

#[doc(hidden)]
pub use guarded_runtime::__private;
