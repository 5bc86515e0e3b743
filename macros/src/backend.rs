//! The backends a fn's statements run on: a SQL database in one of its dialects, every SQL
//! backend at once (`Guard<Any>`), or DynamoDB.

/// The SQL dialect of the fn, taken from the `Guard<DB>` type or `dialect = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `$N` placeholders.
    Postgres,
    /// `?` placeholders, bound in textual order.
    MySql,
    /// `?` (textual order) or `?NNN` (numbered) placeholders.
    Sqlite,
}

impl Dialect {
    /// The database's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::MySql => "MySQL",
            Self::Sqlite => "SQLite",
        }
    }
}

/// The databases a fn's statements are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backends {
    /// The one of `Guard<Sqlite>`, `Guard<Postgres>` or `Guard<MySql>`.
    One(Dialect),
    /// Every backend, for `Guard<Any>`: each statement is written once with `?` placeholders
    /// and analysed for each (see `portable`).
    Every,
}

impl Backends {
    /// The backends a dialect's name says, in the attribute or the policy file.
    pub fn named(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Self::One(Dialect::Postgres),
            "mysql" | "mariadb" => Self::One(Dialect::MySql),
            "sqlite" => Self::One(Dialect::Sqlite),
            "any" => Self::Every,
            _ => return None,
        })
    }
}
