//! Injecting the ownership predicate into every reference to the guarded table.
//!
//! A `VisitorMut` over the whole statement: every SELECT (top level, subquery, CTE, the source
//! of an INSERT) gets the predicate for each guarded table in its FROM; every INSERT, UPDATE
//! and DELETE (top level or inside a CTE) is handled by its own rule. References are counted
//! as they are guarded, and compared with all references the parser sees, so a place this
//! file does not know (a new syntax, a table function) is refused rather than left open.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Delete, Expr, FromTable, Ident, Insert, JoinConstraint, JoinOperator,
    ObjectName, ObjectNamePart, OnConflictAction, OnInsert, Select, SelectItem, SetExpr,
    SqliteOnConflict, Statement, TableFactor, TableObject, TableWithJoins, Update,
    UpdateTableFromKind, Value, VisitorMut,
};

use super::Policy;
use super::placeholders::SUBJECT;

/// What injection found and did.
#[derive(Default)]
pub struct Injected {
    /// References to the guarded table that now carry the predicate.
    pub handled: usize,
    pub writes: bool,
    /// The top-level statement is an UPDATE/DELETE of the guarded table.
    pub top_mutation: bool,
    /// For a single-table top-level UPDATE/DELETE: `SELECT 1 FROM <target> [WHERE (...)]`.
    pub classify: Option<String>,
}

pub struct Injector<'a> {
    policy: &'a Policy<'a>,
    pub done: Injected,
    statements: usize,
}

impl<'a> Injector<'a> {
    pub fn new(policy: &'a Policy<'a>) -> Self {
        Self {
            policy,
            done: Injected::default(),
            statements: 0,
        }
    }

    pub fn is_guarded(&self, name: &ObjectName) -> bool {
        is_table(name, self.policy.table)
    }

    fn predicate(&self, qualifier: Vec<Ident>) -> Expr {
        let mut column = qualifier;
        column.push(Ident::new(self.policy.column));
        Expr::BinaryOp {
            left: Box::new(Expr::CompoundIdentifier(column)),
            op: BinaryOperator::Eq,
            right: Box::new(subject()),
        }
    }

    /// The guarded references of a FROM list: predicates for WHERE; nullable sides of a LEFT
    /// JOIN get theirs in the ON clause instead, so the join still keeps its other rows.
    fn guard_from(&mut self, from: &mut [TableWithJoins]) -> Result<Vec<Expr>, String> {
        let mut wheres = Vec::new();
        for twj in from {
            self.factor(&mut twj.relation, &mut wheres)?;
            for join in &mut twj.joins {
                match &mut join.join_operator {
                    JoinOperator::Left(JoinConstraint::On(on))
                    | JoinOperator::LeftOuter(JoinConstraint::On(on)) => {
                        let mut mine = Vec::new();
                        self.factor(&mut join.relation, &mut mine)?;
                        if let Some(joined) = conjoin(Some(on.clone()), mine) {
                            *on = joined;
                        }
                    }
                    // Every other join keeps the predicate in WHERE: at worst an outer join
                    // on the guarded table behaves like an inner one, which leaks nothing.
                    _ => self.factor(&mut join.relation, &mut wheres)?,
                }
            }
        }
        Ok(wheres)
    }

    fn factor(&mut self, factor: &mut TableFactor, wheres: &mut Vec<Expr>) -> Result<(), String> {
        match factor {
            TableFactor::Table { name, alias, .. } if self.is_guarded(name) => {
                let qualifier = alias
                    .as_ref()
                    .map_or_else(|| idents(name), |a| vec![a.name.clone()]);
                wheres.push(self.predicate(qualifier));
                self.done.handled += 1;
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => wheres.extend(self.guard_from(std::slice::from_mut(table_with_joins))?),
            // Derived tables and other subqueries are queries of their own: the visitor
            // reaches their SELECTs.
            _ => {}
        }
        Ok(())
    }

    fn write_to(&self, name: &ObjectName) -> Result<(), String> {
        let declared = self.policy.unguarded.iter().any(|t| is_table(name, t));
        if declared || self.is_guarded(name) {
            return Ok(());
        }
        Err(format!(
            "this statement writes `{name}`, which #[guarded] does not guard; if that is \
             intended, declare it: #[guarded(owner = \"{}.{}\", unguarded = \"{}\")]",
            self.policy.table,
            self.policy.column,
            last_name(name)
        ))
    }

    fn update(&mut self, update: &mut Update, top: bool) -> Result<(), String> {
        let target = match &update.table.relation {
            TableFactor::Table { name, .. } => name.clone(),
            _ => return Err("UPDATE of something other than a table is not supported".into()),
        };
        let guarded_target = self.is_guarded(&target);
        if guarded_target && update.or.is_some() {
            return Err(
                "UPDATE OR ... on the guarded table is refused: OR REPLACE can delete \
                        rows of other owners; use a plain UPDATE"
                    .into(),
            );
        }
        self.write_to(&target)?;
        let simple = update.table.joins.is_empty() && update.from.is_none();
        if top && guarded_target && simple {
            self.done.classify = Some(classify(&update.table.relation, update.selection.as_ref()));
        }
        let mut wheres = self.guard_from(std::slice::from_mut(&mut update.table))?;
        if let Some(UpdateTableFromKind::BeforeSet(from) | UpdateTableFromKind::AfterSet(from)) =
            &mut update.from
        {
            wheres.extend(self.guard_from(from)?);
        }
        add_where(&mut update.selection, wheres);
        self.done.top_mutation |= top && guarded_target;
        Ok(())
    }

    fn delete(&mut self, delete: &mut Delete, top: bool) -> Result<(), String> {
        let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &mut delete.from;
        if !delete.tables.is_empty() || from.len() != 1 {
            return Err(
                "multi-table DELETE is not supported in a guarded fn; delete from \
                        one table, with a subquery in WHERE to pick the rows"
                    .into(),
            );
        }
        let target = match &from[0].relation {
            TableFactor::Table { name, .. } => name.clone(),
            _ => return Err("DELETE from something other than a table is not supported".into()),
        };
        let guarded_target = self.is_guarded(&target);
        self.write_to(&target)?;
        if top && guarded_target && from[0].joins.is_empty() && delete.using.is_none() {
            self.done.classify = Some(classify(&from[0].relation, delete.selection.as_ref()));
        }
        let mut wheres = self.guard_from(from)?;
        if let Some(using) = &mut delete.using {
            wheres.extend(self.guard_from(using)?);
        }
        add_where(&mut delete.selection, wheres);
        self.done.top_mutation |= top && guarded_target;
        Ok(())
    }

    fn insert(&mut self, insert: &mut Insert) -> Result<(), String> {
        let TableObject::TableName(target) = &insert.table else {
            return Err("INSERT into a table function is not supported".into());
        };
        let target = target.clone();
        self.write_to(&target)?;
        if !self.is_guarded(&target) {
            return Ok(());
        }
        let column = self.policy.column;
        if insert.replace_into || matches!(insert.or, Some(SqliteOnConflict::Replace)) {
            return Err(
                "REPLACE on the guarded table is refused: it deletes a conflicting row \
                        whoever owns it; use INSERT ... ON CONFLICT (...) DO UPDATE"
                    .into(),
            );
        }
        if insert.or.is_some() {
            return Err(
                "INSERT OR ... on the guarded table is not supported; use INSERT ... \
                        ON CONFLICT"
                    .into(),
            );
        }
        if insert.columns.is_empty() {
            return Err(format!(
                "name the columns of this INSERT (without `{column}`): the guard adds the \
                 owner column and needs to know where it goes"
            ));
        }
        if insert.columns.iter().any(|c| is_table(c, column)) {
            return Err(format!(
                "the guard sets `{column}` to the verified subject; remove it from the \
                 column list and its value from the VALUES"
            ));
        }
        if !insert.assignments.is_empty() {
            return Err("INSERT ... SET is not supported; use INSERT (...) VALUES (...)".into());
        }
        Self::insert_source(insert)?;
        insert
            .columns
            .push(ObjectName::from(vec![Ident::new(column)]));
        let qualifier = insert
            .table_alias
            .as_ref()
            .map_or_else(|| idents(&target), |a| vec![a.alias.clone()]);
        match &mut insert.on {
            None
            | Some(OnInsert::OnConflict(sqlparser::ast::OnConflict {
                action: OnConflictAction::DoNothing,
                ..
            })) => {}
            Some(OnInsert::OnConflict(sqlparser::ast::OnConflict {
                action: OnConflictAction::DoUpdate(update),
                ..
            })) => add_where(&mut update.selection, vec![self.predicate(qualifier)]),
            Some(OnInsert::DuplicateKeyUpdate(_)) => {
                return Err(
                    "ON DUPLICATE KEY UPDATE cannot carry the ownership predicate, so \
                            it would overwrite another owner's row; INSERT, then run a \
                            guarded UPDATE"
                        .into(),
                );
            }
            Some(_) => return Err("this ON clause of INSERT is not supported".into()),
        }
        self.done.handled += 1;
        Ok(())
    }

    fn insert_source(insert: &mut Insert) -> Result<(), String> {
        let Some(source) = &mut insert.source else {
            return Err(
                "this INSERT form is not supported; use INSERT (...) VALUES (...) or \
                        INSERT (...) SELECT ..."
                    .into(),
            );
        };
        match &mut *source.body {
            SetExpr::Values(values) => {
                for row in &mut values.rows {
                    row.push(subject());
                }
            }
            SetExpr::Select(select) => {
                select.projection.push(SelectItem::UnnamedExpr(subject()));
            }
            _ => {
                return Err(
                    "INSERT ... SELECT with UNION or similar is not supported; insert \
                            from a single SELECT"
                        .into(),
                );
            }
        }
        Ok(())
    }
}

impl VisitorMut for Injector<'_> {
    type Break = String;

    fn pre_visit_statement(&mut self, statement: &mut Statement) -> ControlFlow<String> {
        let top = self.statements == 0;
        self.statements += 1;
        let result = match statement {
            Statement::Query(_) => Ok(()),
            Statement::Insert(insert) => {
                self.done.writes = true;
                self.insert(insert)
            }
            Statement::Update(update) => {
                self.done.writes = true;
                self.update(update, top)
            }
            Statement::Delete(delete) => {
                self.done.writes = true;
                self.delete(delete, top)
            }
            _ => Err(
                "only SELECT, INSERT, UPDATE and DELETE run in a guarded fn (the guard \
                      owns the transaction; schema changes and other statements belong \
                      elsewhere)"
                    .into(),
            ),
        };
        match result {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    }

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<String> {
        match self.guard_from(&mut select.from) {
            Ok(wheres) => {
                add_where(&mut select.selection, wheres);
                ControlFlow::Continue(())
            }
            Err(e) => ControlFlow::Break(e),
        }
    }
}

fn subject() -> Expr {
    Expr::Value(Value::Placeholder(SUBJECT.to_owned()).into())
}

fn and(left: Expr, right: Expr) -> Expr {
    Expr::BinaryOp {
        left: Box::new(left),
        op: BinaryOperator::And,
        right: Box::new(right),
    }
}

/// `(original) AND p1 AND p2 ...`: the original condition parenthesised once, so an `OR`
/// in it cannot escape the predicates.
fn conjoin(existing: Option<Expr>, predicates: Vec<Expr>) -> Option<Expr> {
    let mut predicates = predicates.into_iter();
    let first = predicates.next();
    let start = match (existing, first) {
        (existing, None) => return existing,
        (None, Some(first)) => first,
        (Some(existing), Some(first)) => and(Expr::Nested(Box::new(existing)), first),
    };
    Some(predicates.fold(start, and))
}

fn add_where(selection: &mut Option<Expr>, predicates: Vec<Expr>) {
    *selection = conjoin(selection.take(), predicates);
}

fn classify(target: &TableFactor, selection: Option<&Expr>) -> String {
    match selection {
        Some(condition) => format!("SELECT 1 FROM {target} WHERE ({condition})"),
        None => format!("SELECT 1 FROM {target} LIMIT 1"),
    }
}

fn idents(name: &ObjectName) -> Vec<Ident> {
    name.0
        .iter()
        .filter_map(|part| match part {
            ObjectNamePart::Identifier(ident) => Some(ident.clone()),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

fn last_name(name: &ObjectName) -> String {
    idents(name)
        .last()
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

/// Tables match on their last name part, case-insensitively: `public.items`, `"Items"` and
/// `items` are the same table to the guard. Over-matching only adds predicates or refusals.
pub fn is_table(name: &ObjectName, table: &str) -> bool {
    last_name(name).eq_ignore_ascii_case(table)
}
