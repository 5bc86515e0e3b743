//! SQL analysis and rewriting: plain functions from text to text plus bind positions.
//!
//! Nothing here knows about proc macros. `analyse` parses one statement in the fn's dialect,
//! injects the ownership predicate into every reference to the guarded table, and reports
//! what the expansion needs: the final SQL, the order in which values must be bound, and what
//! the statement does (reads, writes, whether zero affected rows is a denial).
//!
//! One file per step: `parse` (one statement; lexing) -> `placeholders` (user values marked
//! by position) -> `inject` (the visitor and the write policy; `from` for FROM lists and
//! joins, `mutate` for UPDATE/DELETE, `insert` for INSERT and upserts, `predicate` builds the
//! condition, `names` matches tables) -> `placeholders` again (the final numbering and bind
//! order, read off the rendered text).

mod from;
mod inject;
mod insert;
mod mutate;
mod names;
mod parse;
mod placeholders;
mod predicate;
#[cfg(test)]
mod tests;

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

/// What the fn guards: one table and its owner column, plus the tables it may write without
/// a predicate (declared by the user with `unguarded = "..."`).
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    /// The guarded table, as written in `owner = "table.column"`.
    pub table: &'a str,
    /// The owner column of the guarded table.
    pub column: &'a str,
    /// Tables the fn is allowed to write without an ownership predicate.
    pub unguarded: &'a [String],
}

/// One value bound to the final statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bind {
    /// The user's n-th bound value (0-based, in the order of their `.bind()` calls / macro args).
    User(usize),
    /// The verified subject of the guard.
    Subject,
}

/// The existence check used by `deny = 403`: the statement's own condition without the
/// ownership predicate, run after a denial to tell "not yours" from "not there".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classify {
    /// A query returning one row when the target exists regardless of its owner.
    pub sql: String,
    /// The user values it binds, in order (indices into the user's binds).
    pub binds: Vec<usize>,
}

/// The result of analysing one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// The statement to run, with the predicate injected.
    pub sql: String,
    /// The values to bind, in order.
    pub binds: Vec<Bind>,
    /// How many values the user's statement expects.
    pub user_params: usize,
    /// The statement references the guarded table.
    pub guarded: bool,
    /// The statement modifies some table.
    pub writes: bool,
    /// A top-level UPDATE/DELETE of the guarded table: zero affected rows is a denial.
    pub zero_rows_denies: bool,
    /// The statement yields rows: a query, or a mutation with RETURNING. A mutation without
    /// RETURNING fetched as rows always yields none.
    pub returns_rows: bool,
    /// For UPDATE/DELETE of the guarded table: how to classify a denial.
    pub classify: Option<Classify>,
}

/// Analyses and rewrites one SQL statement. The error is a message for the user, saying what
/// to write instead; the caller spans it on the string literal.
pub fn analyse(sql: &str, dialect: Dialect, policy: &Policy<'_>) -> Result<Analysis, String> {
    if sql.to_ascii_lowercase().contains("__guarded_") {
        return Err("`__guarded_` is reserved for the guard's own markers".into());
    }
    let (mut statement, lexed) = parse::parse_lexed(sql, dialect)?;
    let returns_rows = returns_rows(&statement);
    let references = names::references(&statement, policy.table);
    let marked = placeholders::mark(&mut statement, &lexed, dialect)?;
    let done = inject::inject(&mut statement, policy)?;
    if done.handled != references {
        return Err(format!(
            "the guard cannot put its predicate on every reference to `{}` in this statement; \
             write it with plain FROM/JOIN references to the table",
            policy.table
        ));
    }
    let (sql, binds) = placeholders::finish(&statement.to_string(), &marked, dialect)?;
    let classify = done.classify.map(|text| {
        let (sql, binds) = placeholders::compact(&text, &marked);
        Classify { sql, binds }
    });
    Ok(Analysis {
        sql,
        binds,
        user_params: marked.user_params,
        guarded: references > 0,
        writes: done.writes,
        zero_rows_denies: done.top_mutation,
        returns_rows,
        classify,
    })
}

/// Whether the statement yields rows (`WITH ... DELETE` is decided by its body).
fn returns_rows(statement: &sqlparser::ast::Statement) -> bool {
    use sqlparser::ast::{SetExpr, Statement};
    match statement {
        Statement::Query(query) => match &*query.body {
            SetExpr::Insert(inner) | SetExpr::Update(inner) | SetExpr::Delete(inner) => {
                returns_rows(inner)
            }
            _ => true,
        },
        Statement::Insert(insert) => insert.returning.is_some(),
        Statement::Update(update) => update.returning.is_some(),
        Statement::Delete(delete) => delete.returning.is_some(),
        _ => false,
    }
}

/// Whether `text` parses as SQL at all: prose and identifiers do not.
pub fn is_statement(text: &str, dialect: Dialect) -> bool {
    parse::parse(text, dialect).is_ok()
}
