//! A condition comparing the owner column with a value, where the guard's predicate already
//! binds that column to the caller: it is redundant when the value is the caller and makes
//! the statement match nothing when it is not (a write that always answers 404, silently).
//! Where a grant opens other owners' rows (or the read is public), filtering by owner is a
//! real filter and stays legal.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Delete, Expr, FromTable, Ident, JoinConstraint, JoinOperator, ObjectName, Query, Select,
    Statement, TableFactor, TableWithJoins, Update, UpdateTableFromKind, Visit, Visitor,
};

use super::Policy;
use super::inject::Write;
use super::names::idents;
use crate::policy::Owner;

/// Refuses a comparison of an owner column with a value wherever the owner alone decides.
pub fn refuse(statement: &Statement, policy: &Policy<'_>) -> Result<(), String> {
    match statement.visit(&mut Filters { policy }) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(message) => Err(message),
    }
}

struct Filters<'a> {
    policy: &'a Policy<'a>,
}

/// The operation a reference takes its policy from.
#[derive(Clone, Copy)]
enum Operation {
    Read,
    Write(Write),
}

impl Filters<'_> {
    /// The references in `from` whose predicate is the owner's alone, by the name the
    /// statement gives them, with their owner column.
    fn owner_only(&self, from: &[TableWithJoins], operation: Operation) -> Vec<(Ident, String)> {
        let mut out = Vec::new();
        let factors = from
            .iter()
            .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
        for factor in factors {
            let TableFactor::Table { name, alias, .. } = factor else {
                continue;
            };
            let Some(owner) = self.policy.owner_of(name) else {
                continue;
            };
            if !decides_alone(owner, operation) {
                continue;
            }
            let qualifier = alias
                .as_ref()
                .map(|a| a.name.clone())
                .or_else(|| idents(name).pop());
            if let Some(qualifier) = qualifier {
                out.push((qualifier, owner.column.clone()));
            }
        }
        out
    }

    fn check(references: &[(Ident, String)], conditions: &[Option<&Expr>]) -> ControlFlow<String> {
        if references.is_empty() {
            return ControlFlow::Continue(());
        }
        for condition in conditions.iter().flatten() {
            compared(condition, references)?;
        }
        ControlFlow::Continue(())
    }

    fn update(&self, update: &Update) -> ControlFlow<String> {
        let write = if sets_owner(update, self.policy) {
            Write::OwnerOnly
        } else {
            Write::Update
        };
        let mut from = vec![update.table.clone()];
        if let Some(UpdateTableFromKind::BeforeSet(more) | UpdateTableFromKind::AfterSet(more)) =
            &update.from
        {
            from.extend(more.iter().cloned());
        }
        let references = self.owner_only(&from, Operation::Write(write));
        Self::check(&references, &joins_and(&from, update.selection.as_ref()))
    }

    fn delete(&self, delete: &Delete) -> ControlFlow<String> {
        let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
        let mut all = from.clone();
        all.extend(delete.using.iter().flatten().cloned());
        let references = self.owner_only(&all, Operation::Write(Write::Delete));
        Self::check(&references, &joins_and(&all, delete.selection.as_ref()))
    }
}

/// The ON conditions of `from`'s joins and `selection`.
fn joins_and<'a>(from: &'a [TableWithJoins], selection: Option<&'a Expr>) -> Vec<Option<&'a Expr>> {
    from.iter()
        .flat_map(|t| &t.joins)
        .map(|join| match &join.join_operator {
            JoinOperator::Join(JoinConstraint::On(on))
            | JoinOperator::Inner(JoinConstraint::On(on))
            | JoinOperator::Left(JoinConstraint::On(on))
            | JoinOperator::LeftOuter(JoinConstraint::On(on))
            | JoinOperator::Right(JoinConstraint::On(on))
            | JoinOperator::RightOuter(JoinConstraint::On(on))
            | JoinOperator::FullOuter(JoinConstraint::On(on)) => Some(on),
            _ => None,
        })
        .chain(std::iter::once(selection))
        .collect()
}

/// Whether the predicate of `operation` on `owner`'s table is the owner's comparison alone:
/// no grant widens it and the read is not public.
fn decides_alone(owner: &Owner, operation: Operation) -> bool {
    match operation {
        Operation::Read => !owner.public_read && owner.grants.read.is_none(),
        Operation::Write(Write::Update) => owner.grants.update.is_none(),
        Operation::Write(Write::OwnerOnly) => true,
        Operation::Write(Write::Delete) => owner.grants.delete.is_none(),
    }
}

/// Whether an UPDATE sets an owner column (a transfer, which no grant allows).
fn sets_owner(update: &Update, policy: &Policy<'_>) -> bool {
    update.assignments.iter().any(|a| {
        let names: Vec<&ObjectName> = match &a.target {
            sqlparser::ast::AssignmentTarget::ColumnName(c) => vec![c],
            sqlparser::ast::AssignmentTarget::Tuple(cs) => cs.iter().collect(),
        };
        names.iter().any(|n| {
            let last = idents(n).pop().map(|i| i.value).unwrap_or_default();
            policy
                .owners
                .iter()
                .any(|o| o.column.eq_ignore_ascii_case(&last))
        })
    })
}

/// Finds `q.owner_col = <value>` (either way round) in `condition`, outside sub-queries.
fn compared(condition: &Expr, references: &[(Ident, String)]) -> ControlFlow<String> {
    struct Comparisons<'a> {
        references: &'a [(Ident, String)],
        depth: usize,
    }
    impl Visitor for Comparisons<'_> {
        type Break = String;
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<String> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &Query) -> ControlFlow<String> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
            let Expr::BinaryOp { left, op, right } = expr else {
                return ControlFlow::Continue(());
            };
            if self.depth > 0 || *op != sqlparser::ast::BinaryOperator::Eq {
                return ControlFlow::Continue(());
            }
            for (column, value) in [(left, right), (right, left)] {
                if matches!(**value, Expr::Value(_))
                    && let Some(name) = self.owner_column(column)
                {
                    return ControlFlow::Break(format!(
                        "`{name}` is compared with a value here, but the guard already binds \
                         it to the caller: the statement could only ever match the caller's \
                         own rows, and none when the value is anyone else; remove the \
                         comparison (the guard's subject is `guard.subject()`)"
                    ));
                }
            }
            ControlFlow::Continue(())
        }
    }
    impl Comparisons<'_> {
        /// The owner column `expr` names, as written, if it is one of the references'.
        fn owner_column(&self, expr: &Expr) -> Option<String> {
            let (qualifier, column) = match expr {
                Expr::Identifier(column) => (None, column),
                Expr::CompoundIdentifier(parts) => {
                    let (column, rest) = parts.split_last()?;
                    (rest.last(), column)
                }
                _ => return None,
            };
            self.references
                .iter()
                .any(|(name, owner)| {
                    column.value.eq_ignore_ascii_case(owner)
                        && qualifier.is_none_or(|q| q.value.eq_ignore_ascii_case(&name.value))
                })
                .then(|| expr.to_string())
        }
    }
    condition.visit(&mut Comparisons {
        references,
        depth: 0,
    })
}

impl Visitor for Filters<'_> {
    type Break = String;

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<String> {
        let references = self.owner_only(&select.from, Operation::Read);
        Self::check(
            &references,
            &joins_and(&select.from, select.selection.as_ref()),
        )
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<String> {
        match statement {
            Statement::Update(update) => self.update(update),
            Statement::Delete(delete) => self.delete(delete),
            _ => ControlFlow::Continue(()),
        }
    }
}
