//! UPDATE and DELETE: the predicate joins the statement's own WHERE.
//!
//! Multi-table forms are guarded when every written table is known: PostgreSQL/SQLite
//! `UPDATE ... FROM` and `DELETE ... USING` write only their target; MySQL's
//! `UPDATE a JOIN b SET ...` writes the tables its SET names, and `DELETE a FROM a JOIN b`
//! the tables listed after DELETE. Every reference to the guarded table anywhere in them
//! gets the predicate in WHERE, so no row of another owner is matched, let alone written.

use sqlparser::ast::{
    Assignment, AssignmentTarget, BinaryOperator, Delete, Expr, FromTable, ObjectName, Spanned,
    SqliteOnConflict, TableFactor, TableWithJoins, Update, UpdateTableFromKind, Value,
};
use sqlparser::tokenizer::Span;

use super::inject::{Check, Depth, Injector, Place, Target, Write, keep_in_scope};

const DELETE: Place = Place::Mutation(Write::Delete);
use super::locate::{Clause, Site};
use super::names::{is_table, last_name};
use super::predicate::{Pred, add_where};

impl Injector<'_> {
    pub fn update(&mut self, update: &mut Update, depth: Depth) -> Result<(), String> {
        if !matches!(update.table.relation, TableFactor::Table { .. }) {
            return Err("UPDATE of something other than a table is not supported".into());
        }
        let factors = [std::slice::from_ref(&update.table)];
        let targets = if update.table.joins.is_empty() {
            tables(&factors)
                .into_iter()
                .take(1)
                .map(|(n, _)| n.clone())
                .collect()
        } else {
            assigned(&update.assignments, &factors)
        };
        let guarded = self.check_targets(&targets)?;
        for owner in targets.iter().filter_map(|t| self.owner_of(t)) {
            keep_in_scope(owner, &update.assignments)?;
        }
        if guarded && matches!(update.or, Some(SqliteOnConflict::Replace)) {
            return Err(
                "UPDATE OR REPLACE on the guarded table is refused: REPLACE can delete \
                        rows of other owners; use a plain UPDATE"
                    .into(),
            );
        }
        let single = update.table.joins.is_empty() && update.from.is_none();
        let kind = Place::Mutation(self.update_kind(&update.assignments));
        self.written = if update.table.joins.is_empty() {
            Some(vec![called(&update.table.relation)])
        } else {
            assigned_names(&update.assignments)
        };
        self.returning = update.returning.is_some();
        let mut wheres = self.guard_from(std::slice::from_mut(&mut update.table), kind)?;
        if let Some(UpdateTableFromKind::BeforeSet(from) | UpdateTableFromKind::AfterSet(from)) =
            &mut update.from
        {
            wheres.extend(self.guard_from(from, kind)?);
        }
        self.written = None;
        self.returning = false;
        if !guarded {
            // An unguarded table written under `[token] valid`: the condition still decides.
            wheres.extend(self.validity(None)?);
        }
        let exists = update.selection.is_some();
        let site = self.mutation_site(update.update_token.0.span, exists, &wheres)?;
        let selection = update.selection.as_ref();
        self.done.lookup = selection.is_none_or(is_lookup);
        self.decide(depth, guarded, single, &update.table.relation, site, kind)?;
        if depth != Depth::Nested {
            self.find_version(&update.table.relation, selection)?;
        }
        if let Some(site) = site {
            add_where(&mut update.selection, site, wheres, &mut self.done.edits);
        }
        Ok(())
    }

    pub fn delete(&mut self, delete: &mut Delete, depth: Depth) -> Result<(), String> {
        let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &mut delete.from;
        if from
            .iter()
            .any(|t| !matches!(t.relation, TableFactor::Table { .. }))
        {
            return Err("DELETE from something other than a table is not supported".into());
        }
        let using = delete.using.as_deref().unwrap_or_default();
        let factors = [from.as_slice(), using];
        let targets: Vec<ObjectName> = if delete.tables.is_empty() {
            // `DELETE FROM t [USING ...]`: the FROM list names the targets (in MySQL's USING
            // form, possibly by the aliases the USING list gives them).
            let named: Vec<ObjectName> = from
                .iter()
                .filter_map(|t| table_name(&t.relation))
                .collect();
            named.iter().map(|n| resolve(n, &factors)).collect()
        } else {
            delete.tables.iter().map(|n| resolve(n, &factors)).collect()
        };
        let guarded = self.check_targets(&targets)?;
        let single = delete.tables.is_empty()
            && from.len() == 1
            && from[0].joins.is_empty()
            && delete.using.is_none();
        self.written = Some(if delete.tables.is_empty() {
            from.iter()
                .flat_map(|t| {
                    std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation))
                })
                .map(called)
                .collect()
        } else {
            delete
                .tables
                .iter()
                .map(|n| last_name(n).to_ascii_lowercase())
                .collect()
        });
        self.returning = delete.returning.is_some();
        let mut wheres = self.guard_from(from, DELETE)?;
        if let Some(using) = &mut delete.using {
            wheres.extend(self.guard_from(using, DELETE)?);
        }
        self.written = None;
        self.returning = false;
        if !guarded {
            wheres.extend(self.validity(None)?);
        }
        let exists = delete.selection.is_some();
        let site = self.mutation_site(delete.delete_token.0.span, exists, &wheres)?;
        let target = from[0].relation.clone();
        self.done.lookup = delete.selection.as_ref().is_none_or(is_lookup);
        self.decide(depth, guarded, single, &target, site, DELETE)?;
        if depth != Depth::Nested {
            self.find_version(&target, delete.selection.as_ref())?;
        }
        if let Some(site) = site {
            add_where(&mut delete.selection, site, wheres, &mut self.done.edits);
        }
        Ok(())
    }

    /// Every written table must be allowed; returns whether one is the guarded table.
    fn check_targets(&self, targets: &[ObjectName]) -> Result<bool, String> {
        for target in targets {
            self.write_to(target)?;
        }
        Ok(targets.iter().any(|t| self.is_guarded(t)))
    }

    /// Where the WHERE of the UPDATE/DELETE starting at `keyword` is, when predicates go
    /// there.
    fn mutation_site(
        &self,
        keyword: Span,
        exists: bool,
        wheres: &[Pred],
    ) -> Result<Option<Site>, String> {
        if wheres.is_empty() {
            return Ok(None);
        }
        let at = self.token(keyword)?;
        self.source
            .where_site(at, Clause::Mutation, exists)
            .map(Some)
    }

    /// Records the statement's decision and, for a single-table statement at the top, the
    /// text an existence check for `deny = 403` is made of.
    fn decide(
        &mut self,
        depth: Depth,
        guarded: bool,
        single: bool,
        target: &TableFactor,
        site: Option<Site>,
        place: Place,
    ) -> Result<(), String> {
        if !guarded {
            return Ok(());
        }
        if depth == Depth::Nested {
            self.done.nested_write = true;
            return Ok(());
        }
        self.done.top_mutation = true;
        // The existence check of a WITH body runs its read-only WITH again.
        let prefix = match depth {
            Depth::Top => Some(None),
            Depth::WithBody => self.with_prefix.map(Some),
            Depth::Nested => None,
        };
        if let (Some(prefix), true) = (prefix, single) {
            let TableFactor::Table { name, alias, .. } = target else {
                return Ok(());
            };
            let (start, mut end) = self.name_range(name)?;
            let mut qualifier = (start, end);
            if let Some(alias) = alias {
                qualifier = self.source.range_of(&alias.name).unwrap_or(qualifier);
                end = qualifier.1;
            }
            if let (Some(owner), Place::Mutation(write)) = (self.owner_of(name), place) {
                self.done.named = super::inject::named(owner, place);
                self.done.named_write = Some(write);
            }
            self.done.existence_check = Some(Check::Target(Target {
                prefix,
                relation: (start, end),
                qualifier,
                condition: match site {
                    Some(Site::Existing { start, end }) => Some((start, end)),
                    _ => None,
                },
            }));
        }
        Ok(())
    }
}

impl Injector<'_> {
    /// Where the WHERE of the statement whose existence check was just recorded compares its
    /// table's version column to a value, as one of its top-level conjuncts: what a 412
    /// classifies.
    fn find_version(
        &mut self,
        target: &TableFactor,
        selection: Option<&Expr>,
    ) -> Result<(), String> {
        let (Some(Check::Target(_)), TableFactor::Table { name, alias, .. }, Some(selection)) =
            (self.done.existence_check, target, selection)
        else {
            return Ok(());
        };
        let Some(column) = self.owner_of(name).and_then(|o| o.version.clone()) else {
            return Ok(());
        };
        let qualifier = alias
            .as_ref()
            .map_or_else(|| last_name(name), |a| a.name.value.clone());
        let Some(comparison) = version_comparison(selection, &column, &qualifier) else {
            return Ok(());
        };
        let span = comparison.span();
        let range = self
            .source
            .offset(span.start)
            .zip(self.source.offset(span.end))
            .ok_or_else(|| "cannot locate the version comparison of this statement".to_owned())?;
        self.done.version = Some(range);
        Ok(())
    }
}

/// The conjunct of `condition` (at the top level, or in parentheses) that compares the version
/// column (bare, or
/// qualified by `qualifier`) with a placeholder, either way round.
fn version_comparison<'a>(condition: &'a Expr, column: &str, qualifier: &str) -> Option<&'a Expr> {
    let is_column = |e: &Expr| match e {
        Expr::Identifier(ident) => ident.value.eq_ignore_ascii_case(column),
        Expr::CompoundIdentifier(parts) => {
            parts.len() == 2
                && parts[0].value.eq_ignore_ascii_case(qualifier)
                && parts[1].value.eq_ignore_ascii_case(column)
        }
        _ => false,
    };
    let is_value =
        |e: &Expr| matches!(e, Expr::Value(v) if matches!(v.value, Value::Placeholder(_)));
    match condition {
        // `(id = ? AND version = ?)`: parentheses around conjuncts keep them conjuncts.
        Expr::Nested(inner) => version_comparison(inner, column, qualifier),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => version_comparison(left, column, qualifier)
            .or_else(|| version_comparison(right, column, qualifier)),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } if (is_column(left) && is_value(right)) || (is_value(left) && is_column(right)) => {
            Some(condition)
        }
        _ => None,
    }
}

fn table_name(factor: &TableFactor) -> Option<ObjectName> {
    match factor {
        TableFactor::Table { name, .. } => Some(name.clone()),
        _ => None,
    }
}

/// Every table factor of some FROM lists, with its alias, nested joins included.
fn tables<'a>(lists: &[&'a [TableWithJoins]]) -> Vec<(&'a ObjectName, Option<&'a str>)> {
    fn walk<'a>(factor: &'a TableFactor, out: &mut Vec<(&'a ObjectName, Option<&'a str>)>) {
        match factor {
            TableFactor::Table { name, alias, .. } => {
                out.push((name, alias.as_ref().map(|a| a.name.value.as_str())));
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => walk_twj(table_with_joins, out),
            _ => {}
        }
    }
    fn walk_twj<'a>(twj: &'a TableWithJoins, out: &mut Vec<(&'a ObjectName, Option<&'a str>)>) {
        walk(&twj.relation, out);
        for join in &twj.joins {
            walk(&join.relation, out);
        }
    }
    let mut out = Vec::new();
    for twj in lists.iter().flat_map(|l| l.iter()) {
        walk_twj(twj, &mut out);
    }
    out
}

/// The table a qualifier names in some FROM lists: by its alias when it has one (MySQL and
/// PostgreSQL then reject the bare table name), else by its name.
fn table_of(qualifier: &ObjectName, lists: &[&[TableWithJoins]]) -> Option<ObjectName> {
    let wanted = last_name(qualifier);
    let all = tables(lists);
    // Aliases first: MySQL's `DELETE FROM i USING items AS i` lists the alias `i` as a
    // table of its own, which must not resolve to itself.
    let by_alias = all.iter().find(|(_, alias)| {
        qualifier.0.len() == 1 && alias.is_some_and(|a| a.eq_ignore_ascii_case(&wanted))
    });
    let by_name = || {
        all.iter()
            .find(|(table, alias)| alias.is_none() && is_table(table, &wanted))
    };
    by_alias.or_else(by_name).map(|(table, _)| (*table).clone())
}

/// The table a DELETE target names: an alias of one of the FROM lists' tables, or itself.
fn resolve(name: &ObjectName, lists: &[&[TableWithJoins]]) -> ObjectName {
    table_of(name, lists).unwrap_or_else(|| name.clone())
}

/// The tables a MySQL multi-table UPDATE writes: those its SET columns are qualified with.
/// An unqualified or unresolvable column could belong to any of them, so then all count.
fn assigned(assignments: &[Assignment], lists: &[&[TableWithJoins]]) -> Vec<ObjectName> {
    let written: Option<Vec<ObjectName>> = assignments
        .iter()
        .map(|assignment| match &assignment.target {
            AssignmentTarget::ColumnName(column) if column.0.len() > 1 => {
                let qualifier = ObjectName(column.0[..column.0.len() - 1].to_vec());
                table_of(&qualifier, lists)
            }
            _ => None,
        })
        .collect();
    written.unwrap_or_else(|| tables(lists).into_iter().map(|(n, _)| n.clone()).collect())
}

/// Whether a WHERE only looks a row up: a conjunction of columns equal to values (placeholders
/// or literals). `deny = 403` runs such a condition without the predicate, so it may tell no
/// more than that a row with those values exists.
fn is_lookup(condition: &Expr) -> bool {
    match condition {
        Expr::Nested(inner) => is_lookup(inner),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => is_lookup(left) && is_lookup(right),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => {
            let column = |e: &Expr| matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_));
            let value = |e: &Expr| matches!(e, Expr::Value(_));
            (column(left) && value(right)) || (value(left) && column(right))
        }
        _ => false,
    }
}

/// The name a statement calls a table factor by (its alias, or its table's last name),
/// lowercased.
fn called(factor: &TableFactor) -> String {
    match factor {
        TableFactor::Table { name, alias, .. } => alias
            .as_ref()
            .map_or_else(|| last_name(name), |a| a.name.value.clone())
            .to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// The names that qualify the columns an UPDATE's SET assigns: the tables a multi-table
/// UPDATE writes. `None` when one is unqualified (it could be any table's).
fn assigned_names(assignments: &[Assignment]) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for assignment in assignments {
        let columns: Vec<&ObjectName> = match &assignment.target {
            AssignmentTarget::ColumnName(column) => vec![column],
            AssignmentTarget::Tuple(columns) => columns.iter().collect(),
        };
        for column in columns {
            let parts = super::names::idents(column);
            let qualifier = parts.len().checked_sub(2).map(|i| &parts[i])?;
            names.push(qualifier.value.to_ascii_lowercase());
        }
    }
    Some(names)
}
