//! A guarded table's policy: its owner column, who else may touch a row per operation, the
//! conditions its writes must pass, its version column and its scope.

use super::rule::Rule;
use super::scope::Scope;

/// A guarded table and its owner column, as written in `owner = "table.column"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub table: String,
    pub column: String,
    /// `public_read`: a SELECT reads every row; writes still carry the predicate.
    pub public_read: bool,
    /// Who else may touch a row, per operation.
    pub grants: Grants,
    /// Conditions on the row that are not about who writes it (a state): AND-ed into the
    /// writes they name, and reported by name (409) when they alone refuse one.
    pub conditions: Vec<Condition>,
    /// The version column (`version = "version"`): a write comparing it to a value (an
    /// `If-Match`) that changes nothing because the row has another version is a 412.
    pub version: Option<String>,
    /// The restrictive rule (`scope = "..."`): AND-ed into every statement on the table.
    pub scope: Option<Scope>,
}

/// A condition of a table's policy, `[tables.items.conditions.archived]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Its name: the 409's `code`.
    pub code: String,
    pub update: Option<Rule>,
    pub delete: Option<Rule>,
}

impl Owner {
    /// A table guarded by its owner column alone.
    pub fn new(table: impl Into<String>, column: impl Into<String>) -> Self {
        Self {
            table: table.into(),
            column: column.into(),
            public_read: false,
            grants: Grants::default(),
            conditions: Vec::new(),
            version: None,
            scope: None,
        }
    }
}

/// The conditions under which a row is the caller's to read, update or delete although
/// another subject owns it (a share, an administrator's role): each is OR-ed with the owner
/// predicate of that operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    pub read: Option<Rule>,
    pub update: Option<Rule>,
    /// The columns the update grant lets a grantee set (`None`: any but the owner column).
    /// An UPDATE setting another column is the owner's alone.
    pub update_columns: Option<Vec<String>>,
    pub delete: Option<Rule>,
}
