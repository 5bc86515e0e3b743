//! SQL analysis and rewriting: plain functions from text to text plus bind positions.
//!
//! Nothing here knows about proc macros. `analyse` lexes one statement the way the database
//! will (`lex`), parses it (`parse`), refuses the forms the parser and the database read
//! differently (`hazards`), finds every reference to the guarded table and builds
//! the guarded statement twice: as a syntax tree with the predicates added (`inject`: `from`
//! for FROM lists and joins, `mutate` for UPDATE/DELETE, `insert` for INSERT and upserts,
//! `predicate` builds the condition, `names` matches tables), and as insertions into the
//! user's text at offsets the parser reported (`locate`, `splice`). The statement that runs
//! is the user's text plus those insertions; `verify` parses it again and requires exactly
//! the guarded tree, so the database runs the statement the guard analysed.

mod from;
mod grammar;
mod hazards;
mod inject;
mod insert;
mod lex;
mod locate;
mod mutate;
mod names;
mod owner_filter;
mod parse;
mod placeholders;
mod portable;
mod predicate;
mod render;
mod splice;
#[cfg(test)]
pub(crate) mod tests;
mod verify;

pub use crate::backend::{Backends, Dialect};
use crate::policy::{Claim, Grants, Owner, Rule, Scope};

/// A statement's analysis on each database it may run on: one, or every backend for
/// `Guard<Any>`. The facts the checks read agree between them; the text and binds differ.
#[derive(Debug)]
pub struct Analyses(Vec<(Dialect, Analysis)>);

impl Analyses {
    /// The facts every backend's analysis agrees on (`guarded`, `writes`, the bind count...).
    pub fn facts(&self) -> &Analysis {
        &self.0[0].1
    }

    /// Each backend's analysis.
    pub fn each(&self) -> &[(Dialect, Analysis)] {
        &self.0
    }

    /// The analyses `each` gives (one per backend, at least one).
    pub(crate) fn from_each(each: Vec<(Dialect, Analysis)>) -> Self {
        Self(each)
    }

    /// A refused statement as written, its `values` bound in order and nothing injected: only
    /// ever expanded next to the refusal, so that the fn's body is type-checked in the same
    /// build (it cannot run: the crate does not compile).
    pub fn refused(sql: &str, values: usize, backends: Backends) -> Self {
        let dialect = match backends {
            Backends::One(dialect) => dialect,
            Backends::Every => Dialect::Sqlite,
        };
        Self(vec![(
            dialect,
            Analysis {
                sql: sql.to_owned(),
                binds: (0..values).map(Bind::User).collect(),
                user_params: values,
                guarded: false,
                writes: false,
                zero_rows_denies: false,
                rows: 1,
                nested_write: false,
                returns_rows: true,
                existence_check: None,
                validity: false,
                conflicts: Vec::new(),
            },
        )])
    }
}

/// Analyses one statement for `backends`; see [`analyse`].
pub fn analyse_for(sql: &str, backends: Backends, policy: &Policy<'_>) -> Result<Analyses, String> {
    match backends {
        Backends::One(dialect) => Ok(Analyses(vec![(dialect, analyse(sql, dialect, policy)?)])),
        Backends::Every => portable::analyse_every(sql, policy).map(Analyses),
    }
}

/// What the fn guards: its tables, each with its owner column, plus the tables it may write
/// without a predicate (declared by the user with `unguarded = "..."`).
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    /// The guarded tables.
    pub owners: &'a [Owner],
    /// Tables the fn is allowed to write without an ownership predicate.
    pub unguarded: &'a [String],
    /// What every token must still satisfy (not revoked, not issued before a cut-off): AND-ed
    /// with the predicate of every reference to a guarded table.
    pub valid: Option<&'a Rule>,
}

impl Policy<'_> {
    /// The guarded table `name` refers to, if any.
    pub fn owner_of(&self, name: &sqlparser::ast::ObjectName) -> Option<&Owner> {
        self.owners.iter().find(|o| names::is_table(name, &o.table))
    }

    /// The tables the policy's conditions read.
    pub fn condition_tables(&self) -> impl Iterator<Item = &str> {
        self.valid
            .into_iter()
            .chain(self.owners.iter().flat_map(|o| {
                [&o.grants.read, &o.grants.update, &o.grants.delete]
                    .into_iter()
                    .flatten()
                    .chain(o.scope.as_ref().map(|s| &s.rule))
            }))
            .flat_map(|rule| rule.reads.iter().map(String::as_str))
    }

    /// The guarded tables as the attribute lists them: `items.owner_id, favorites.user_id`.
    pub fn listed(&self) -> String {
        let owners: Vec<String> = self
            .owners
            .iter()
            .map(|o| format!("{}.{}", o.table, o.column))
            .collect();
        owners.join(", ")
    }
}

/// One value bound to the final statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    /// The user's n-th bound value (0-based, in the order of their `.bind()` calls / macro args).
    User(usize),
    /// The verified subject of the guard.
    Subject,
    /// Another verified claim a policy condition binds (never [`Claim::Sub`]).
    Claim(Claim),
}

/// The existence check used by `deny = 403`: the statement's own condition without the
/// ownership predicate, run after a denial to tell "not yours" from "not there".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistenceCheck {
    /// A query returning one row when the target exists regardless of its owner.
    pub sql: String,
    /// The user values it binds, in order (indices into the user's binds).
    pub binds: Vec<usize>,
    /// The statement's WHERE only looks its row up, so the check tells no more than that a
    /// row with those values exists; any other condition would tell what another owner's row
    /// holds, and `deny = 403` refuses the statement.
    pub lookup: bool,
    /// The target is a table with a scope: the check would tell that a row exists outside
    /// the caller's scope (another tenant's), and `deny = 403` refuses the statement.
    pub scoped: bool,
}

/// The result of analysing one statement.
// Independent facts about one statement, each read by a different part of the expansion.
#[allow(clippy::struct_excessive_bools)]
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
    /// How many rows the statement writes when nothing is denied: the rows of an upsert's
    /// VALUES (each inserts or updates), else 1.
    pub rows: usize,
    /// An UPDATE/DELETE of the guarded table inside a CTE, whose rows the statement's result
    /// does not count: matching nothing cannot deny, so the statement must say it may.
    pub nested_write: bool,
    /// The statement yields rows: a query, or a mutation with RETURNING. A mutation without
    /// RETURNING fetched as rows always yields none.
    pub returns_rows: bool,
    /// For UPDATE/DELETE of the guarded table: how `deny = 403` tells a denial from absence.
    pub existence_check: Option<ExistenceCheck>,
    /// The statement carries the policy's `[token] valid` condition.
    pub validity: bool,
    /// For a single-table top-level UPDATE/DELETE whose table has named conditions for it:
    /// the guarded read that finds the row failing each, run after a denial.
    pub conflicts: Vec<ConflictCheck>,
}

impl Analysis {
    /// Whether the statement compares an owner column to the subject somewhere: finding no
    /// row then may mean "not yours". A read of other tables, or a public read, finds no row
    /// only where there is none.
    pub fn reads_through_predicate(&self) -> bool {
        self.binds.contains(&Bind::Subject)
    }
}

/// The read that tells a denial by a named condition (409 with its code) or by the version
/// compared (412) from one by access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictCheck {
    /// The named condition's code; `None` for the version.
    pub code: Option<String>,
    /// `SELECT 1 FROM <target> WHERE (<condition>) AND NOT (<named condition>)`, guarded as
    /// a read: it finds a row only the caller may read.
    pub sql: String,
    pub binds: Vec<Bind>,
}

/// The tables `sql` names, for a tool's reading of a statement outside a guarded fn.
pub fn tables(sql: &str, dialect: Dialect) -> Option<Vec<String>> {
    let (_, statement) = parse::parse(sql, dialect).ok()?;
    let mut tables = Vec::new();
    let _ = sqlparser::ast::visit_relations(&statement, |name| {
        tables.push(names::last_name(name));
        std::ops::ControlFlow::<()>::Continue(())
    });
    Some(tables)
}

/// Analyses and rewrites one SQL statement. The error is a message for the user, saying what
/// to write instead; the caller spans it on the string literal.
pub fn analyse(sql: &str, dialect: Dialect, policy: &Policy<'_>) -> Result<Analysis, String> {
    rewrite(sql, dialect, policy).map(|r| r.analysis)
}

/// An analysis with the insertions it made, for the tests that undo them.
struct Rewrite {
    analysis: Analysis,
    /// The user's placeholders, as this dialect read them.
    params: placeholders::Params,
    #[cfg_attr(not(test), allow(dead_code))]
    edits: splice::Edits,
    #[cfg_attr(not(test), allow(dead_code))]
    subject: String,
}

fn rewrite(sql: &str, dialect: Dialect, policy: &Policy<'_>) -> Result<Rewrite, String> {
    let (source, mut statement) = parse::parse(sql, dialect)?;
    for owner in policy.owners {
        hazards::refuse(&statement, &owner.table)?;
    }
    for table in policy.condition_tables() {
        hazards::shadowing(&statement, table)?;
    }
    owner_filter::refuse(&statement, policy)?;
    let params = placeholders::read(&source, dialect)?;
    verify::placeholders_parsed(&statement, params.at.len())?;
    let returns_rows = returns_rows(&statement);
    let references: usize = policy
        .owners
        .iter()
        .map(|o| names::references(&statement, &o.table))
        .sum();
    let subject = params.subject();
    let done = inject::inject(&mut statement, policy, &source, &params, &subject, dialect)?;
    if done.handled != references {
        return Err(format!(
            "the guard cannot put its predicate on every reference to a guarded table ({}) \
             in this statement; write it with plain FROM/JOIN references to the table",
            policy.listed()
        ));
    }
    if references > 0 {
        hazards::side_effects(&statement)?;
    }
    let spliced = done.edits.apply(sql, &subject);
    let binds = binds(&params, &done, &spliced, &subject);
    let user_at: Vec<usize> = params
        .at
        .iter()
        .map(|(offset, _)| done.edits.shifted(*offset, &subject))
        .collect();
    verify::spliced(&spliced, &binds, &statement, dialect, &params, &user_at)?;
    let existence_check = done.existence_check.map(|check| ExistenceCheck {
        lookup: done.lookup || matches!(check, inject::Check::Certain),
        scoped: done.scoped,
        ..check.existence_check(sql, &params)
    });
    let conflicts = match done.existence_check {
        Some(inject::Check::Target(target)) => done
            .named
            .iter()
            .map(|(code, rule)| (Some(code.as_str()), target.conflict_check(sql, rule), None))
            .chain(
                done.version
                    .map(|at| (None, target.precondition_check(sql, at), Some(at))),
            )
            .map(|(code, text, except)| {
                let write = done.named_write.unwrap_or(inject::Write::Update);
                let check = Check {
                    params: &params,
                    target,
                    dialect,
                    except,
                };
                check.conflict(code, &text, write, policy)
            })
            .collect::<Result<_, _>>()?,
        _ => Vec::new(),
    };
    let analysis = Analysis {
        sql: spliced.sql,
        binds: binds.into_iter().map(|(_, b)| b).collect(),
        user_params: params.count,
        guarded: references > 0,
        writes: done.writes,
        zero_rows_denies: done.top_mutation,
        rows: done.rows.max(1),
        nested_write: done.nested_write,
        returns_rows,
        existence_check,
        validity: done.validity,
        conflicts,
    };
    Ok(Rewrite {
        analysis,
        params,
        edits: done.edits,
        subject,
    })
}

/// What the conflict checks of one statement are made of.
struct Check<'a> {
    params: &'a placeholders::Params,
    target: inject::Target,
    dialect: Dialect,
    /// The text the check leaves out (the version's comparison), placeholders and all.
    except: Option<(usize, usize)>,
}

impl Check<'_> {
    /// The conflict check of one named condition: the target and condition of the user's
    /// statement where the named condition fails, read under the policy with the grants of
    /// the denied `write` (so only a caller who could otherwise write the row learns its
    /// state).
    fn conflict(
        &self,
        code: Option<&str>,
        text: &str,
        write: inject::Write,
        policy: &Policy<'_>,
    ) -> Result<ConflictCheck, String> {
        let owners: Vec<Owner> = policy
            .owners
            .iter()
            .map(|o| Owner {
                public_read: false,
                grants: Grants {
                    read: match write {
                        inject::Write::Update => o.grants.update.clone(),
                        inject::Write::OwnerOnly => None,
                        inject::Write::Delete => o.grants.delete.clone(),
                    },
                    ..Grants::default()
                },
                conditions: Vec::new(),
                // The check stands for the write, which carried the scope whoever reads.
                scope: o.scope.clone().map(|scope| Scope {
                    on_reads: true,
                    ..scope
                }),
                ..o.clone()
            })
            .collect();
        let policy = Policy {
            owners: &owners,
            ..policy.clone()
        };
        let read = rewrite(text, self.dialect, &policy).map_err(|e| {
            let what = code.map_or("the version".to_owned(), |c| format!("`{c}`"));
            format!("the check of {what} cannot be guarded here: {e}")
        })?;
        // Positional: the check's n-th user value is the n-th of the user's placeholders inside
        // the text it copied. Numbered: the numbers are the user's own.
        let used = self.target.placeholders(self.params, self.except);
        let binds = read
            .analysis
            .binds
            .into_iter()
            .map(|bind| match (bind, self.params.style) {
                (Bind::User(i), placeholders::Style::Positional) => Bind::User(used[i]),
                (bind, _) => bind,
            })
            .collect();
        Ok(ConflictCheck {
            code: code.map(str::to_owned),
            sql: read.analysis.sql,
            binds,
        })
    }
}

/// The values in the order the spliced statement binds them, each with the offset of its
/// placeholder (positional style; numbered placeholders bind by number).
///
/// Numbered: the user's values, then the subject, then the other claims in the order the
/// injector numbered them (`Injected::claims`). The claims are numbered after the subject's
/// place, so a statement that binds claims but no subject (a `[token] valid` of `:jti` alone
/// on an unguarded table) still binds the subject there: numbers without a gap, one value
/// each, the subject's referenced by no placeholder.
fn binds(
    params: &placeholders::Params,
    done: &inject::Injected,
    spliced: &splice::Spliced,
    subject: &str,
) -> Vec<(Option<usize>, Bind)> {
    let edits = &done.edits;
    match params.guard {
        None => {
            let mut all: Vec<(Option<usize>, Bind)> = params
                .at
                .iter()
                .map(|(offset, index)| (Some(edits.shifted(*offset, subject)), Bind::User(*index)))
                .chain(spliced.subjects.iter().map(|at| (Some(*at), Bind::Subject)))
                .chain(
                    spliced
                        .claims
                        .iter()
                        .map(|(at, claim)| (Some(*at), Bind::Claim(claim.clone()))),
                )
                .collect();
            all.sort_by_key(|(at, _)| *at);
            all
        }
        Some(_) => (0..params.count)
            .map(|i| (None, Bind::User(i)))
            .chain(
                (!spliced.subjects.is_empty() || !done.claims.is_empty())
                    .then_some((None, Bind::Subject)),
            )
            .chain(done.claims.iter().map(|c| (None, Bind::Claim(c.clone()))))
            .collect(),
    }
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
