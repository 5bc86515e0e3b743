//! A `Guard<DynamoDb>` fn as data: its tables rendered for the runtime, and its body with
//! everything the walk found lifted out of it. `walk` builds it, `check` judges it, `fill`
//! turns it into code; each lifted request or probe leaves a hole in the body
//! ([`crate::model::hole`], the SQL model's), filled by its index.

use proc_macro2::{Span, TokenStream};
use syn::{Block, Expr};

use super::chain::Chain;
use super::operation::Operation;
use super::request::Target;
use super::rules;
use super::tables::Tables;

/// A `Guard<DynamoDb>` fn, read.
pub struct Model {
    /// The guarded and unguarded tables, with the policy rendered for the runtime.
    pub tables: Tables,
    /// The policy file the tables came from, if the crate has one.
    pub policy_file: Option<std::path::PathBuf>,
    /// The body, each request and probe lifted out of it into `found`.
    pub body: Block,
    /// What the walk found, in the order of the source; the index of a request or probe is
    /// that of its hole in `body`.
    pub found: Vec<Found>,
}

/// One thing the walk found.
pub enum Found {
    /// A request on the guard: a hole.
    Request(Request),
    /// A call that may send a request on another client: a hole.
    Probe(Probe),
    /// A use of the guard or of a client that no expansion makes sound: an error only.
    Misuse(Misuse),
}

/// `guard.client().OP() .. .send()`, as written: holes for the requests and probes of its
/// values.
pub struct Request {
    pub chain: Chain,
    /// The tables it is checked against, once `check` has judged it; `None` also when it was
    /// refused.
    pub target: Option<Target>,
}

/// A call named as one of the client's operations, or a path call to `send_with`, on
/// anything but the guard: confirmed by type not to be a request of the SDK.
pub struct Probe {
    /// The call as written: holes for what it holds.
    pub call: Expr,
    /// The operation it is named as; `None` for `send_with`, refused by `check`.
    pub operation: Option<Operation>,
    /// Where the type check's error goes: the operation's name.
    pub span: Span,
}

/// A use that is refused wherever it stands.
pub struct Misuse {
    /// Where the error goes.
    pub tokens: TokenStream,
    pub kind: Kind,
}

/// What a misuse is.
pub enum Kind {
    /// The guard used as anything but a request or a read of the caller.
    Guard,
    /// The guard inside another macro's tokens, other than as a read of the caller.
    GuardInMacro,
    /// A request sent on another client, told as `what` (the `send_with` call, say).
    Client(String),
}

impl Kind {
    /// The error under the misuse.
    pub fn message(&self) -> String {
        match self {
            Kind::Guard => rules::other_use(),
            Kind::GuardInMacro => rules::GUARD_IN_MACRO.to_owned(),
            Kind::Client(what) => rules::other_client(what),
        }
    }
}

impl Model {
    /// Whether a call was lifted as a probe, which needs the runtime's `Pass` in scope.
    pub fn probed(&self) -> bool {
        self.found.iter().any(|f| matches!(f, Found::Probe(_)))
    }
}
