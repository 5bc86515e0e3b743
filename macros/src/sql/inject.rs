//! Injecting the ownership predicate into every reference to the guarded table.
//!
//! A `VisitorMut` over the whole statement: every SELECT (top level, subquery, CTE, the source
//! of an INSERT) gets the predicate for each guarded table in its FROM (`from.rs`); every
//! UPDATE and DELETE (`mutate.rs`) and INSERT (`insert.rs`), top level or inside a CTE, is
//! handled by its own rule. References are counted as they are guarded and compared by the
//! caller with all references the parser sees, so a place these files do not know (a new
//! syntax, a PIVOT, a table function) is refused rather than left open.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Assignment, AssignmentTarget, Ident, ObjectName, Query, Select, SetExpr, Statement, VisitMut,
    VisitorMut,
};
use sqlparser::tokenizer::Span;

use super::lex::Source;
use super::locate::Clause;
use super::names::{is_table, last_name};
use super::placeholders::{Params, Style};
use super::predicate::{Pred, add_where, owner_eq};
use super::render::{Rendered, parse_expr};
use super::splice::{Edits, Piece};
use super::{Dialect, ExistenceCheck, Policy};
use crate::policy::{Claim, Owner, Part, Rule};

/// What injection found and did.
// Independent facts about one statement, each read by a different part of the analysis.
#[allow(clippy::struct_excessive_bools)]
#[derive(Default)]
pub struct Injected {
    /// References to the guarded table that now carry the predicate.
    pub handled: usize,
    /// Some part of the statement inserts, updates or deletes.
    pub writes: bool,
    /// The statement's own UPDATE/DELETE, or an upsert's `DO UPDATE` (top level, or the body
    /// of a `WITH`), writes the guarded table: its affected-row count is the guard's decision.
    pub top_mutation: bool,
    /// An UPDATE/DELETE (or an upsert's `DO UPDATE`) of the guarded table inside a CTE: the
    /// statement's row count is not its, so matching nothing cannot deny.
    pub nested_write: bool,
    /// For a single-table top-level UPDATE/DELETE: the target's and the condition's text.
    pub existence_check: Option<Check>,
    /// The insertions that put the predicates into the text.
    pub edits: Edits,
    /// The claims other than the subject the predicates bind, in the order they were
    /// numbered.
    pub claims: Vec<Claim>,
    /// Some predicate carries the token's validity condition.
    pub validity: bool,
    /// A write's predicate carries a table's scope.
    pub scoped: bool,
    /// The named conditions on the target of a single-table top-level UPDATE/DELETE, and
    /// the operation whose grants decide who may write it.
    pub named: Vec<(String, Rule)>,
    pub named_write: Option<Write>,
    /// The rows of a top-level upsert's VALUES, each of which inserts or updates.
    pub rows: usize,
    /// That statement's WHERE only looks its row up (see `mutate::is_lookup`).
    pub lookup: bool,
    /// Where that statement compares the table's version column to a value.
    pub version: Option<(usize, usize)>,
}

/// How `deny = 403` tells "not yours" from "not there" after the statement denied.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// Look for the target row without the predicate.
    Target(Target),
    /// The denial proves the row exists: an upsert of VALUES whose `DO UPDATE` matched
    /// nothing met another owner's row.
    Certain,
}

impl Check {
    /// The query that answers "it exists", run in the same transaction after the denial.
    pub fn existence_check(self, sql: &str, params: &Params) -> ExistenceCheck {
        match self {
            Self::Target(target) => target.existence_check(sql, params),
            Self::Certain => ExistenceCheck {
                sql: "SELECT 1".into(),
                binds: Vec::new(),
                lookup: true,
                scoped: false,
            },
        }
    }
}

/// The text of a single-table UPDATE/DELETE's target (`items AS i`) and condition.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// A read-only `WITH` the condition may name, run again before the check.
    pub prefix: Option<(usize, usize)>,
    pub relation: (usize, usize),
    /// The name the statement gives the target (its alias, or its name).
    pub qualifier: (usize, usize),
    pub condition: Option<(usize, usize)>,
}

/// What the FROM list belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A SELECT: outer joins keep their meaning.
    Query,
    /// An UPDATE/DELETE's written table: every predicate goes to WHERE, so no written row
    /// escapes it, and the reference takes the policy of the statement's operation.
    Mutation(Write),
    /// A table an UPDATE/DELETE reads besides the ones it writes (its FROM, USING or joined
    /// tables): read under the read rule, its predicate in the WHERE like the written ones'.
    Source,
}

/// The operation of an UPDATE/DELETE, which picks the policy's grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Update,
    /// An UPDATE only the owner may make, so no grant applies: it sets an owner column (it
    /// moves the row to another owner), or a column the update grant does not list.
    OwnerOnly,
    Delete,
}

impl Target {
    /// `[WITH ...] SELECT 1 FROM <target> WHERE (<condition>) AND NOT (<rule>)`: the text of
    /// the read that finds the target failing a named condition (guarded by the caller).
    pub fn conflict_check(self, sql: &str, rule: &Rule) -> String {
        let text = |(start, end): (usize, usize)| &sql[start..end];
        let with = self
            .prefix
            .map(|p| format!("{} ", text(p)))
            .unwrap_or_default();
        let qualifier = text(self.qualifier);
        let named: String = rule
            .parts
            .iter()
            .map(|part| match part {
                Part::Text(t) => t.as_str(),
                Part::Row => qualifier,
                // Refused when the file is read: a named condition binds no claim.
                Part::Claim(_) | Part::Exact(_) => {
                    unreachable!("a named condition binds no claim")
                }
            })
            .collect();
        let condition = self
            .condition
            .map(|c| format!("({}) AND ", text(c)))
            .unwrap_or_default();
        format!(
            "{with}SELECT 1 FROM {} WHERE {condition}NOT ({named})",
            text(self.relation)
        )
    }

    /// `[WITH ...] SELECT 1 FROM <target> WHERE (<condition with the comparison at `except`
    /// replaced by 1 = 1>)`: the read that finds the row whatever its version.
    pub fn precondition_check(self, sql: &str, except: (usize, usize)) -> String {
        let text = |(start, end): (usize, usize)| &sql[start..end];
        let with = self
            .prefix
            .map(|p| format!("{} ", text(p)))
            .unwrap_or_default();
        let (start, end) = self.condition.unwrap_or(except);
        let condition = format!("{}1 = 1{}", &sql[start..except.0], &sql[except.1..end]);
        format!(
            "{with}SELECT 1 FROM {} WHERE ({condition})",
            text(self.relation)
        )
    }

    /// The indices of the user's values whose placeholders the check copies, in order: those
    /// of its prefix and condition, but for the text at `except`.
    pub fn placeholders(self, params: &Params, except: Option<(usize, usize)>) -> Vec<usize> {
        let inside = |at: &usize| {
            [self.prefix, self.condition]
                .into_iter()
                .flatten()
                .any(|(start, end)| (start..end).contains(at))
                && !except.is_some_and(|(start, end)| (start..end).contains(at))
        };
        params
            .at
            .iter()
            .filter(|(at, _)| inside(at))
            .map(|(_, i)| *i)
            .collect()
    }

    /// The existence check of `deny = 403`: `SELECT 1 FROM <target> WHERE (<condition>)`,
    /// made of the user's own text `sql`, binding the user's values its condition uses. It
    /// needs no parse of its own: the condition is exactly the text the verified splice
    /// parenthesised, and the relation is the target's name and alias.
    pub fn existence_check(self, sql: &str, params: &Params) -> ExistenceCheck {
        let text = |(start, end): (usize, usize)| &sql[start..end];
        let relation = text(self.relation);
        let with = self
            .prefix
            .map(|p| format!("{} ", text(p)))
            .unwrap_or_default();
        let Some(condition) = self.condition else {
            return ExistenceCheck {
                sql: format!("{with}SELECT 1 FROM {relation} LIMIT 1"),
                binds: Vec::new(),
                lookup: true,
                scoped: false,
            };
        };
        // The prefix comes first in the text, so its placeholders bind first.
        let inside = |at: &usize| {
            [self.prefix, Some(condition)]
                .into_iter()
                .flatten()
                .any(|(start, end)| (start..end).contains(at))
        };
        let used = params.at.iter().filter(|(at, _)| inside(at));
        let binds = match params.style {
            Style::Positional => used.map(|(_, index)| *index).collect(),
            // Numbered placeholders keep their numbers: bind every value up to the highest
            // the check uses.
            Style::Numbered(_) => (0..used.map(|(_, i)| i + 1).max().unwrap_or(0)).collect(),
        };
        ExistenceCheck {
            sql: format!("{with}SELECT 1 FROM {relation} WHERE ({})", text(condition)),
            binds,
            lookup: true,
            scoped: false,
        }
    }
}

/// Where a mutation sits in the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// The statement itself: its row count decides, and an existence check can tell a denial from absence.
    Top,
    /// The body of a top-level `WITH`: its row count decides, but the existence check
    /// would need the CTEs, which may write; none is offered.
    WithBody,
    /// Inside a CTE or an INSERT source: the statement's row count is not this part's.
    Nested,
}

pub struct Injector<'a> {
    pub policy: &'a Policy<'a>,
    pub dialect: Dialect,
    pub source: &'a Source<'a>,
    /// The user's placeholders, after which the claims are numbered.
    params: &'a Params,
    /// The subject's placeholder text.
    pub subject: &'a str,
    pub done: Injected,
    /// Where the statement's own keyword sits, and the keyword of the statement whose row
    /// count decides (see `decisive`): statements are told apart by where they start.
    top: Option<usize>,
    decisive: Option<usize>,
    /// The text of a top-level `WITH` whose CTEs only read, for the existence check of its
    /// body (see `read_only_with`).
    pub with_prefix: Option<(usize, usize)>,
    /// Where the SELECTs that feed an INSERT into a guarded table start: with `[token]
    /// valid`, each takes the condition.
    pub validate: Vec<usize>,
    /// Where the SELECTs that feed such an INSERT start whose rows must be filtered after
    /// they are made (`insert::may_aggregate`): each is wrapped in a derived table whose
    /// WHERE takes the condition.
    pub wrap: Vec<usize>,
    /// What the row of an INSERT into a scoped table must satisfy, by where its SELECT starts.
    pub checks: Vec<(usize, &'a Rule)>,
    /// The UPDATE/DELETE being guarded returns its rows (RETURNING).
    pub returning: bool,
    /// The names (alias, or table name) by which that UPDATE/DELETE refers to the tables it
    /// writes, lowercased; `None` when it cannot be told (every reference is then written).
    pub written: Option<Vec<String>>,
}

/// Runs the injector over a statement.
pub fn inject(
    statement: &mut Statement,
    policy: &Policy<'_>,
    source: &Source<'_>,
    params: &Params,
    subject: &str,
    dialect: Dialect,
) -> Result<Injected, String> {
    let top = keyword(statement).and_then(|span| source.offset(span.start));
    let decisive = decisive(statement).and_then(|span| source.offset(span.start));
    let with_prefix = read_only_with(statement, source);
    let mut injector = Injector {
        policy,
        dialect,
        source,
        params,
        subject,
        done: Injected::default(),
        top,
        decisive,
        with_prefix,
        validate: Vec::new(),
        wrap: Vec::new(),
        checks: Vec::new(),
        returning: false,
        written: None,
    };
    match statement.visit(&mut injector) {
        ControlFlow::Continue(()) => Ok(injector.done),
        ControlFlow::Break(message) => Err(message),
    }
}

/// The span of a data-modifying statement's first keyword.
pub fn keyword(statement: &Statement) -> Option<Span> {
    match statement {
        Statement::Insert(insert) => Some(insert.insert_token.0.span),
        Statement::Update(update) => Some(update.update_token.0.span),
        Statement::Delete(delete) => Some(delete.delete_token.0.span),
        _ => None,
    }
}

/// `WITH x AS (...) DELETE ...` parses as a query whose body is the DELETE; that DELETE, not
/// the query, is what the caller's row count reports.
fn decisive(statement: &Statement) -> Option<Span> {
    if let Statement::Query(query) = statement
        && let SetExpr::Update(inner) | SetExpr::Delete(inner) = &*query.body
    {
        return keyword(inner);
    }
    keyword(statement)
}

/// The text of the `WITH` of `WITH ... UPDATE/DELETE ...`, from `WITH` to the last CTE's
/// closing parenthesis, when every CTE only reads: an existence check may run it again. A CTE
/// that writes would write twice.
fn read_only_with(statement: &Statement, source: &Source<'_>) -> Option<(usize, usize)> {
    let Statement::Query(query) = statement else {
        return None;
    };
    if !matches!(&*query.body, SetExpr::Update(_) | SetExpr::Delete(_)) {
        return None;
    }
    let with = query.with.as_ref()?;
    let writes = with.cte_tables.iter().any(|cte| {
        !matches!(
            &*cte.query.body,
            SetExpr::Select(_)
                | SetExpr::Query(_)
                | SetExpr::SetOperation { .. }
                | SetExpr::Values(_)
        )
    });
    if writes {
        return None;
    }
    let start = source.offset(with.with_token.0.span.start)?;
    let end = source.offset(with.cte_tables.last()?.closing_paren_token.0.span.end)?;
    Some((start, end))
}

impl<'a> Injector<'a> {
    /// `Write::OwnerOnly` when `assignments` set an owner column of a guarded table or a
    /// column its update grant does not list, else `Write::Update`. Any column of that name
    /// counts, whichever table it is qualified with: taking a grant away from a statement
    /// that did not need it only refuses more.
    pub fn update_kind(&self, assignments: &[Assignment]) -> Write {
        let sets = |column: &ObjectName| {
            let name = last_name(column);
            self.policy.owners.iter().any(|o| {
                o.column.eq_ignore_ascii_case(&name)
                    || o.grants
                        .update_columns
                        .as_ref()
                        .is_some_and(|listed| !listed.iter().any(|c| c.eq_ignore_ascii_case(&name)))
            })
        };
        let owner_only = assignments.iter().any(|a| match &a.target {
            AssignmentTarget::ColumnName(column) => sets(column),
            AssignmentTarget::Tuple(columns) => columns.iter().any(sets),
        });
        if owner_only {
            Write::OwnerOnly
        } else {
            Write::Update
        }
    }

    /// The guarded table `name` refers to, if any.
    pub fn owner_of(&self, name: &ObjectName) -> Option<&'a Owner> {
        self.policy.owner_of(name)
    }

    pub fn is_guarded(&self, name: &ObjectName) -> bool {
        self.owner_of(name).is_some()
    }

    /// The predicate of `owner` on a reference qualified by `qualifier` (the table name or
    /// alias), written as the text at `text`, in a FROM list of `place`: the owner column
    /// equal to the subject, OR the policy's grant for the operation, AND the token's
    /// validity.
    pub fn predicate(
        &mut self,
        owner: &Owner,
        qualifier: Vec<Ident>,
        text: (usize, usize),
        place: Place,
    ) -> Result<Pred, String> {
        let qualifier_text = &self.source.text[text.0..text.1];
        let name = qualifier.last().map(|i| i.value.to_ascii_lowercase());
        let by_owner = owner_eq(
            qualifier,
            qualifier_text,
            &owner.column,
            self.subject,
            self.dialect,
        );
        let grant = match place {
            Place::Query | Place::Source => owner.grants.read.as_ref(),
            Place::Mutation(Write::Update) => owner.grants.update.as_ref(),
            Place::Mutation(Write::OwnerOnly) => None,
            Place::Mutation(Write::Delete) => owner.grants.delete.as_ref(),
        };
        // A write that returns its rows reads them: a row a write grant alone opens (the read
        // rule does not) is neither returned nor written, as PostgreSQL's row-level security
        // applies the SELECT policy to RETURNING.
        let read_too = match (place, grant) {
            (Place::Mutation(_), Some(_)) if self.returning && !owner.public_read => {
                Some(owner.grants.read.as_ref())
            }
            _ => None,
        };
        let grant = match read_too {
            Some(None) => None,
            _ => grant,
        };
        let read_too = read_too.flatten();
        let valid = self.policy.valid;
        let named = named(owner, place);
        let scope = scope_of(owner, place);
        if grant.is_none() && valid.is_none() && named.is_empty() && scope.is_none() {
            return Ok(by_owner);
        }
        for rule in grant.into_iter().chain(read_too).chain(valid).chain(scope) {
            if let Some(name) = &name
                && rule.names.contains(name)
            {
                return Err(format!(
                    "`{qualifier_text}` names a table of a sub-select in the policy of `{}`, \
                     which would then read this reference instead; give `{}` another alias",
                    owner.table, owner.table
                ));
            }
        }
        // `(c1)` or `((c1) AND (c2) ...)`: who may, then the token, the scope, the named
        // conditions.
        let mut who = by_owner.text;
        if let Some(grant) = grant {
            who.insert(0, Piece::Text("(".into()));
            who.push(Piece::Text(") OR (".into()));
            if let Some(read) = read_too {
                who.push(Piece::Text("(".into()));
                who.extend(self.render(grant, qualifier_text));
                who.push(Piece::Text(") AND (".into()));
                who.extend(self.render(read, qualifier_text));
                who.push(Piece::Text(")".into()));
            } else {
                who.extend(self.render(grant, qualifier_text));
            }
            who.push(Piece::Text(")".into()));
        }
        let mut conjuncts = vec![who];
        if let Some(valid) = valid {
            self.done.validity = true;
            conjuncts.push(self.render(valid, qualifier_text));
        }
        if let Some(scope) = scope {
            self.done.scoped |= matches!(place, Place::Mutation(_));
            conjuncts.push(self.render(scope, qualifier_text));
        }
        for (_, rule) in &named {
            conjuncts.push(self.render(rule, qualifier_text));
        }
        let several = conjuncts.len() > 1;
        let mut text = vec![Piece::Text("(".into())];
        for (i, conjunct) in conjuncts.into_iter().enumerate() {
            if i > 0 {
                text.push(Piece::Text(" AND ".into()));
            }
            if several {
                text.push(Piece::Text("(".into()));
            }
            text.extend(conjunct);
            if several {
                text.push(Piece::Text(")".into()));
            }
        }
        text.push(Piece::Text(")".into()));
        self.parsed(text, &format!("the condition on `{}`", owner.table))
    }

    /// The scope and the token's validity, for a read of a table whose reads are public
    /// within its scope: a read the token's claims decide is one a revoked token may not make.
    pub fn scope_alone(
        &mut self,
        owner: &Owner,
        text: (usize, usize),
    ) -> Result<Option<Pred>, String> {
        let Some(scope) = scope_of(owner, Place::Query) else {
            return Ok(None);
        };
        let qualifier_text = &self.source.text[text.0..text.1];
        if let Some(name) = qualifier_text
            .rsplit('.')
            .next()
            .map(|n| n.trim_matches(['"', '`', '[', ']']).to_ascii_lowercase())
            && scope.names.contains(&name)
        {
            return Err(format!(
                "`{qualifier_text}` names a table of a sub-select in the scope of `{}`, which \
                 would then read this reference instead; give `{}` another alias",
                owner.table, owner.table
            ));
        }
        let mut text = vec![Piece::Text("(".into())];
        if let Some(valid) = self.policy.valid {
            self.done.validity = true;
            text.push(Piece::Text("(".into()));
            text.extend(self.render(valid, qualifier_text));
            text.push(Piece::Text(") AND (".into()));
            text.extend(self.render(scope, qualifier_text));
            text.push(Piece::Text(")".into()));
        } else {
            text.extend(self.render(scope, qualifier_text));
        }
        text.push(Piece::Text(")".into()));
        self.parsed(text, &format!("the scope of `{}`", owner.table))
            .map(Some)
    }

    /// The token's validity alone (with the checks of an INSERT's scope), for the SELECT that
    /// feeds an INSERT and for a write to an unguarded table.
    ///
    /// With the SELECT starting at `at` that feeds an INSERT into a scoped table, the scope
    /// as that INSERT's row must satisfy it too.
    pub fn validity(&mut self, at: Option<usize>) -> Result<Option<Pred>, String> {
        let checks: Vec<&Rule> = self
            .checks
            .iter()
            .filter(|(start, _)| Some(*start) == at)
            .map(|(_, rule)| *rule)
            .collect();
        let mut conjuncts = Vec::new();
        if let Some(valid) = self.policy.valid {
            self.done.validity = true;
            conjuncts.push(self.render(valid, ""));
        }
        for check in checks {
            conjuncts.push(self.render(check, ""));
        }
        if conjuncts.is_empty() {
            return Ok(None);
        }
        let mut text = vec![Piece::Text("(".into())];
        for (i, conjunct) in conjuncts.into_iter().enumerate() {
            if i > 0 {
                text.push(Piece::Text(") AND (".into()));
            }
            text.extend(conjunct);
        }
        text.push(Piece::Text(")".into()));
        self.parsed(text, "[token] valid").map(Some)
    }

    /// A predicate's text and the expression the dialect reads in it.
    fn parsed(&self, text: Vec<Piece>, what: &str) -> Result<Pred, String> {
        let readable: String = text
            .iter()
            .map(|piece| match piece {
                Piece::Text(t) | Piece::Claim(_, t) => t.as_str(),
                Piece::Subject => self.subject,
            })
            .collect();
        let expr = parse_expr(&readable, self.dialect).map_err(|e| {
            format!(
                "{what} of the policy does not read as {} SQL in this statement ({e}); write \
                 it in SQL every backend of the crate reads",
                self.dialect.name()
            )
        })?;
        Ok(Pred { expr, text })
    }

    /// A policy condition's text for a reference written `qualifier`, its claims numbered.
    fn render(&mut self, rule: &Rule, qualifier: &str) -> Vec<Piece> {
        let mut pieces = Vec::new();
        for part in rule.rendered(self.dialect) {
            pieces.push(match part {
                Rendered::Text(t) => Piece::Text(t.to_owned()),
                Rendered::Row => Piece::Text(qualifier.to_owned()),
                Rendered::Claim(Claim::Sub) => Piece::Subject,
                Rendered::Claim(claim) => {
                    let text = self.claim_placeholder(claim);
                    Piece::Claim(claim.clone(), text)
                }
            });
        }
        pieces
    }

    /// A claim's placeholder: `?`, or the next number after the subject's, one per claim
    /// (see [`Params::claim`]).
    pub fn claim_placeholder(&mut self, claim: &Claim) -> String {
        let k = self
            .done
            .claims
            .iter()
            .position(|c| c == claim)
            .unwrap_or_else(|| {
                self.done.claims.push(claim.clone());
                self.done.claims.len() - 1
            });
        self.params.claim(k)
    }

    /// The token index where a statement or clause keyword sits.
    pub fn token(&self, span: Span) -> Result<usize, String> {
        self.source.token_at(span).ok_or_else(|| {
            "cannot locate a clause of this statement; write it more plainly (please report it)"
                .to_owned()
        })
    }

    /// A table the statement writes must be the guarded one or declared `unguarded`.
    pub fn write_to(&self, name: &ObjectName) -> Result<(), String> {
        let declared = self.policy.unguarded.iter().any(|t| is_table(name, t));
        if declared || self.is_guarded(name) {
            return Ok(());
        }
        Err(format!(
            "this statement writes `{name}`, which #[guarded] does not guard; if that is \
             intended, declare it: #[guarded(owner = \"{}\", unguarded = \"{}\")]",
            self.policy.listed(),
            last_name(name)
        ))
    }

    fn depth(&self, statement: &Statement) -> Depth {
        let at = keyword(statement).and_then(|span| self.source.offset(span.start));
        match (
            at.is_some() && at == self.decisive,
            at.is_some() && at == self.top,
        ) {
            (true, true) => Depth::Top,
            (true, false) => Depth::WithBody,
            _ => Depth::Nested,
        }
    }

    fn statement(&mut self, statement: &mut Statement) -> Result<(), String> {
        let depth = self.depth(statement);
        match statement {
            Statement::Query(_) => return Ok(()),
            Statement::Insert(insert) => self.insert(insert, depth)?,
            Statement::Update(update) => self.update(update, depth)?,
            Statement::Delete(delete) => self.delete(delete, depth)?,
            _ => return Err(REFUSED.into()),
        }
        self.done.writes = true;
        Ok(())
    }

    fn select(&mut self, select: &mut Select) -> Result<(), String> {
        if select.into.is_some() {
            return Err(
                "SELECT ... INTO writes, and is not supported in a guarded fn; return \
                        the rows, or INSERT INTO ... SELECT into a declared table"
                    .into(),
            );
        }
        let mut wheres = self.guard_from(&mut select.from, Place::Query)?;
        let start = self.source.offset(select.select_token.0.span.start);
        if start.is_some_and(|at| self.validate.contains(&at)) {
            wheres.extend(self.validity(start)?);
        }
        if wheres.is_empty() {
            return Ok(());
        }
        let at = self.token(select.select_token.0.span)?;
        let site = self
            .source
            .where_site(at, Clause::Select, select.selection.is_some())?;
        add_where(&mut select.selection, site, wheres, &mut self.done.edits);
        Ok(())
    }

    /// `TABLE items` reads a whole table without naming it as a relation the visitor sees.
    fn query(&self, query: &Query) -> Result<(), String> {
        fn tables(body: &SetExpr, out: &mut Vec<String>) {
            match body {
                SetExpr::Table(table) => out.extend(table.table_name.clone()),
                SetExpr::SetOperation { left, right, .. } => {
                    tables(left, out);
                    tables(right, out);
                }
                _ => {}
            }
        }
        let mut named = Vec::new();
        tables(&query.body, &mut named);
        for owner in self.policy.owners {
            let wanted = ObjectName::from(vec![Ident::new(&owner.table)]);
            if named
                .iter()
                .any(|t| is_table(&wanted, t.trim_matches(['"', '`'])))
            {
                return Err(format!(
                    "`TABLE {}` cannot carry the ownership predicate; write SELECT * FROM {}",
                    owner.table, owner.table
                ));
            }
        }
        Ok(())
    }
}

/// No UPDATE moves a row out of its scope: a column the scope of `owner` reads is never
/// assigned (a scope column set from a claim already equals it on every row the UPDATE
/// may touch; any other value would hand the row to another scope).
pub fn keep_in_scope(owner: &Owner, assignments: &[Assignment]) -> Result<(), String> {
    let Some(scope) = &owner.scope else {
        return Ok(());
    };
    let columns = assignments.iter().flat_map(|a| match &a.target {
        AssignmentTarget::ColumnName(column) => vec![column],
        AssignmentTarget::Tuple(columns) => columns.iter().collect(),
    });
    for column in columns {
        let name = last_name(column);
        if scope.reads(&name) {
            return Err(format!(
                "this UPDATE sets `{name}`, which the scope of `{}` reads: a row never \
                 leaves its scope; leave `{name}` out of SET (a new scope is a new row)",
                owner.table
            ));
        }
    }
    Ok(())
}

/// The scope of `owner` a reference in `place` carries: every write's, and reads' unless they
/// are `read = "anyone"`.
pub fn scope_of(owner: &Owner, place: Place) -> Option<&Rule> {
    let scope = owner.scope.as_ref()?;
    match place {
        Place::Query | Place::Source if !scope.on_reads => None,
        _ => Some(&scope.rule),
    }
}

/// The conditions of `owner` a reference in `place` carries: those of its write.
pub fn named(owner: &Owner, place: Place) -> Vec<(String, Rule)> {
    owner
        .conditions
        .iter()
        .filter_map(|condition| {
            let rule = match place {
                Place::Query | Place::Source => None,
                Place::Mutation(Write::Update | Write::OwnerOnly) => condition.update.as_ref(),
                Place::Mutation(Write::Delete) => condition.delete.as_ref(),
            }?;
            Some((condition.code.clone(), rule.clone()))
        })
        .collect()
}

/// The refusal for every statement kind the guard does not run: schema changes, TRUNCATE,
/// COPY, MERGE, transaction control, session settings, and whatever a newer parser adds.
/// The wording is pinned by the ui tests of the macro.
const REFUSED: &str = "only SELECT, INSERT, UPDATE and DELETE run in a guarded fn (the guard \
                       owns the transaction; schema changes and other statements belong \
                       elsewhere)";

impl VisitorMut for Injector<'_> {
    type Break = String;

    fn pre_visit_statement(&mut self, statement: &mut Statement) -> ControlFlow<String> {
        into_flow(self.statement(statement))
    }

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<String> {
        into_flow(self.query(query))
    }

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<String> {
        into_flow(self.select(select))
    }

    fn post_visit_select(&mut self, select: &mut Select) -> ControlFlow<String> {
        let start = self.source.offset(select.select_token.0.span.start);
        if start.is_some_and(|at| self.wrap.contains(&at)) {
            return into_flow(self.wrap_source(select));
        }
        ControlFlow::Continue(())
    }
}

fn into_flow(result: Result<(), String>) -> ControlFlow<String> {
    match result {
        Ok(()) => ControlFlow::Continue(()),
        Err(e) => ControlFlow::Break(e),
    }
}
