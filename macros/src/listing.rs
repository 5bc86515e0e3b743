//! A guarded fn as data for tools (`guarded-audit`): the same stages as the expansion
//! (`pipeline::read`), stopped before code is made, so a listing shows the
//! statements the macro emits and the errors it would report, never a second reading.

use proc_macro2::{Span, TokenStream};
use serde::{Serialize, Serializer};
use syn::ItemFn;

use crate::backend::{Backends, Dialect};
use crate::ctxt::Ctxt;
use crate::policy::{Owner, Part, Rule};
use crate::sites::{self, Chain};
use crate::sql::{self, Policy};
use crate::{Context, args, dynamo, pipeline, signature};

/// What `#[guarded(attr)]` makes of one fn.
#[derive(Debug, Default)]
pub struct Listing {
    /// The databases its statements run on (`SQLite`, `PostgreSQL`, `MySQL`, or `DynamoDB`).
    pub backends: Vec<&'static str>,
    /// Every guarded table with its policy: the crate's `guarded.toml` and the attribute's.
    pub tables: Vec<TablePolicy>,
    /// `[token] valid`: the condition every token must pass, claims as `:name`.
    pub token: Option<String>,
    /// `policy = "path"`: the fn's own policy file, in place of the crate's, as written
    /// (relative to the source file).
    pub policy: Option<String>,
    /// `unguarded = "..."`: tables the fn writes without a predicate.
    pub unguarded: Vec<String>,
    /// The status of a denial: 404, or 403 with `deny = 403`.
    pub deny: u16,
    /// Every statement the body runs through sqlx, in the order of the source.
    pub statements: Vec<ListedStatement>,
    /// The errors the macro reports on this fn: it does not compile.
    pub refusals: Vec<Refusal>,
}

/// The policy of one guarded table, as the fn carries it.
#[derive(Debug, Serialize)]
pub struct TablePolicy {
    /// The table's name.
    pub table: String,
    /// The owner column.
    pub owner: String,
    /// Reads carry no predicate.
    pub public_read: bool,
    /// `(operation, condition)` of each grant (`read`, `update`, `delete`).
    pub grants: Vec<(&'static str, String)>,
    /// The columns an update grant lets a grantee set.
    pub update_columns: Option<Vec<String>>,
    /// `(name, operation, condition)` of each named condition.
    pub conditions: Vec<(String, &'static str, String)>,
    /// The version column: a write comparing it that matches no row is a 412.
    pub version: Option<String>,
    /// The restrictive rule AND-ed into every statement on the table.
    pub scope: Option<String>,
}

/// One statement of a guarded fn; serialized with the line of its literal in place of the
/// span.
#[derive(Debug, Serialize)]
pub struct ListedStatement {
    /// Where the literal is.
    #[serde(rename = "line", serialize_with = "line_of")]
    pub span: Span,
    /// The SQL literal as written.
    pub written: String,
    /// It runs on the guard; else on another executor, unchanged.
    pub on_guard: bool,
    /// `.idempotent()`: matching no row is not a denial.
    pub idempotent: bool,
    /// It writes some table.
    pub writes: bool,
    /// The text that runs on each backend: the spliced SQL the expansion holds.
    pub runs: Vec<Run>,
}

impl ListedStatement {
    /// The line of its SQL literal.
    pub fn line(&self) -> usize {
        self.span.start().line
    }
}

fn line_of<S: Serializer>(span: &Span, serializer: S) -> Result<S::Ok, S::Error> {
    span.start().line.serialize(serializer)
}

/// The text one backend runs.
#[derive(Debug, Serialize)]
pub struct Run {
    /// The backend.
    pub backend: &'static str,
    /// The spliced statement.
    pub sql: String,
}

/// An error the macro reports, with where it points.
#[derive(Debug)]
pub struct Refusal {
    /// The compile error's text.
    pub message: String,
    /// Where the compiler shows it.
    pub span: Span,
}

/// Reads `#[guarded(attr)] item` as the macro does, in the crate `ctx` names.
pub fn list(attr: TokenStream, item: &ItemFn, ctx: &Context) -> Listing {
    let cx = Ctxt::new();
    let mut listing = Listing {
        deny: 404,
        ..Listing::default()
    };
    if let Some(args) = args::parse(attr, &cx) {
        listing.unguarded.clone_from(&args.unguarded);
        listing.policy = args.policy.as_ref().map(syn::LitStr::value);
        if args.tells_forbidden {
            listing.deny = 403;
        }
        if signature::is_dynamo(item, &args) {
            listing.backends = vec!["DynamoDB"];
            if let Ok(Some(file)) = args.policy_file(ctx)
                && let Ok(owners) = args::owners(&args, Some(&file))
            {
                listing.tables = owners.iter().map(table).collect();
            }
            let _ = pipeline::read::<dynamo::DynamoDb>(item, &args, ctx, &cx);
        } else if let Some(model) = pipeline::read::<crate::expand::Sql>(item, &args, ctx, &cx) {
            listing.backends = dialects(model.backends).iter().map(|d| d.name()).collect();
            listing.tables = model.owners.iter().map(table).collect();
            listing.token = model.valid.as_ref().map(|r| text(r, ""));
            // A refused statement is lifted as written only for the expansion beside its
            // error: it is listed among the refusals, never as a statement that runs.
            listing.statements = model
                .statements
                .iter()
                .filter(|s| !s.refused)
                .filter_map(statement)
                .collect();
        }
    }
    if let Err(errors) = cx.check() {
        listing.refusals = errors
            .into_iter()
            .map(|e| Refusal {
                message: e.to_string(),
                span: e.span(),
            })
            .collect();
    }
    listing
}

fn dialects(backends: Backends) -> Vec<Dialect> {
    match backends {
        Backends::One(dialect) => vec![dialect],
        Backends::Every => vec![Dialect::Sqlite, Dialect::Postgres, Dialect::MySql],
    }
}

fn statement(lifted: &crate::model::Statement) -> Option<ListedStatement> {
    let syn::Expr::MethodCall(call) = &lifted.expr else {
        return None;
    };
    let Some(Ok(chain)) = Chain::of(call) else {
        return None;
    };
    let analyses = lifted.site.analyses.each();
    Some(ListedStatement {
        written: chain.root.sql().value(),
        span: chain.root.sql().span(),
        on_guard: lifted.on_guard,
        idempotent: chain.idempotent.is_some(),
        writes: lifted.site.analyses.facts().writes,
        runs: analyses
            .iter()
            .map(|(dialect, analysis)| Run {
                backend: dialect.name(),
                sql: analysis.sql.clone(),
            })
            .collect(),
    })
}

fn table(owner: &Owner) -> TablePolicy {
    let grants = &owner.grants;
    TablePolicy {
        table: owner.table.clone(),
        owner: owner.column.clone(),
        public_read: owner.public_read,
        grants: [
            ("read", &grants.read),
            ("update", &grants.update),
            ("delete", &grants.delete),
        ]
        .into_iter()
        .filter_map(|(op, rule)| rule.as_ref().map(|r| (op, text(r, &owner.table))))
        .collect(),
        update_columns: grants.update_columns.clone(),
        conditions: owner
            .conditions
            .iter()
            .flat_map(|n| {
                [("update", &n.update), ("delete", &n.delete)]
                    .into_iter()
                    .filter_map(|(op, rule)| {
                        rule.as_ref()
                            .map(|r| (n.code.clone(), op, text(r, &owner.table)))
                    })
            })
            .collect(),
        version: owner.version.clone(),
        scope: owner.scope.as_ref().map(|s| text(&s.rule, &owner.table)),
    }
}

/// A policy condition as written in `guarded.toml`: claims as `:name`, the row named by its
/// table, on one line.
fn text(rule: &Rule, table: &str) -> String {
    fn parts(of: &[Part], table: &str, out: &mut String) {
        for part in of {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Row => out.push_str(table),
                Part::Claim(c) => {
                    out.push(':');
                    out.push_str(c.name());
                }
                Part::Exact(exact) => {
                    let claim = format!(":{}", exact.claim.name());
                    let mut column = String::new();
                    parts(&exact.column, table, &mut column);
                    let (left, right) = if exact.claim_first {
                        (&claim, &column)
                    } else {
                        (&column, &claim)
                    };
                    out.push_str(left);
                    out.push_str(" = ");
                    out.push_str(right);
                }
            }
        }
    }
    let mut out = String::new();
    parts(&rule.parts, table, &mut out);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a fn or macro of this name is one of sqlx's SQL entry points: a query fn or macro,
/// or one the guard refuses (`raw_sql`, `query_with`, `query_file!`...).
pub fn sql_entry(name: &str) -> bool {
    sites::is_entry_name(name)
}

/// Whether a method of this name runs SQL on an executor or a query (`execute`, `fetch_*`,
/// `execute_many`, `prepare`, `copy_in_raw`, `copy_out_raw`...).
pub fn sql_method(name: &str) -> bool {
    sites::runs_sql(name) || ["copy_in_raw", "copy_out_raw"].contains(&name)
}

/// Whether `sql` writes a table, as the analysis reads it on the first backend that parses
/// it (every table it names declared unguarded, so only the statement's own shape decides);
/// `None` when none does.
pub fn writes(sql: &str) -> Option<bool> {
    [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql]
        .into_iter()
        .find_map(|dialect| {
            let tables = sql::tables(sql, dialect)?;
            let policy = Policy {
                owners: &[],
                unguarded: &tables,
                valid: None,
            };
            sql::analyse(sql, dialect, &policy).ok()
        })
        .map(|analysis| analysis.writes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_reads_plain_statements() {
        assert_eq!(super::writes("DELETE FROM t WHERE a < ?"), Some(true));
        assert_eq!(
            super::writes("INSERT INTO users (a, b) VALUES (?, ?)"),
            Some(true)
        );
        assert_eq!(super::writes("SELECT a FROM t WHERE b = ?"), Some(false));
    }
}
