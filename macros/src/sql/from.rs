//! Guarding the table references of a FROM list (a SELECT's, or an UPDATE/DELETE's).
//!
//! Each guarded table factor yields `<alias or name>.owner_id = <subject>`. Where it goes
//! decides what the join means:
//! - the base table and inner joins: the enclosing WHERE;
//! - the right side of a `LEFT JOIN ... ON`: that ON, so the join still keeps its left rows
//!   and only matches rows of the caller;
//! - the left side of a `RIGHT JOIN ... ON`: that ON, for the same reason mirrored;
//! - everything else (FULL JOIN, USING, NATURAL, joins inside UPDATE/DELETE): the WHERE. At
//!   worst an outer join on the guarded table then behaves like an inner one, which leaks
//!   nothing; putting it in the ON of a FULL JOIN would keep the caller's non-matching rows
//!   and everyone else's too.

use sqlparser::ast::{Expr, JoinConstraint, JoinOperator, TableFactor, TableWithJoins};

use super::inject::Injector;
use super::names::idents;
use super::predicate::conjoin;

/// What the FROM list belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A SELECT: outer joins keep their meaning.
    Query,
    /// An UPDATE/DELETE: every predicate goes to WHERE, so no written row escapes it.
    Mutation,
}

/// Which side of a join the ON clause protects.
enum Nullable<'a> {
    /// `LEFT JOIN r ON c`: r's rows are optional.
    Right(&'a mut Expr),
    /// `l RIGHT JOIN r ON c`: l's rows are optional.
    Left(&'a mut Expr),
    /// No ON to use.
    Neither,
}

fn nullable(operator: &mut JoinOperator) -> Nullable<'_> {
    match operator {
        JoinOperator::Left(JoinConstraint::On(on))
        | JoinOperator::LeftOuter(JoinConstraint::On(on)) => Nullable::Right(on),
        JoinOperator::Right(JoinConstraint::On(on))
        | JoinOperator::RightOuter(JoinConstraint::On(on)) => Nullable::Left(on),
        _ => Nullable::Neither,
    }
}

fn push_on(on: &mut Expr, predicates: Vec<Expr>) {
    if let Some(joined) = conjoin(Some(on.clone()), predicates) {
        *on = joined;
    }
}

impl Injector<'_> {
    /// Guards every reference in a FROM list; returns the predicates that go to its WHERE.
    pub fn guard_from(
        &mut self,
        from: &mut [TableWithJoins],
        place: Place,
    ) -> Result<Vec<Expr>, String> {
        let mut wheres = Vec::new();
        for twj in from {
            wheres.extend(self.guard_joins(twj, place)?);
        }
        Ok(wheres)
    }

    fn guard_joins(&mut self, twj: &mut TableWithJoins, place: Place) -> Result<Vec<Expr>, String> {
        // Predicates of the tables joined so far that still wait for a place.
        let mut pending = self.factor(&mut twj.relation, place)?;
        for join in &mut twj.joins {
            let mine = self.factor(&mut join.relation, place)?;
            match (place, nullable(&mut join.join_operator)) {
                (Place::Query, Nullable::Right(on)) => push_on(on, mine),
                (Place::Query, Nullable::Left(on)) => {
                    push_on(on, std::mem::take(&mut pending));
                    pending = mine;
                }
                _ => pending.extend(mine),
            }
        }
        Ok(pending)
    }

    fn factor(&mut self, factor: &mut TableFactor, place: Place) -> Result<Vec<Expr>, String> {
        match factor {
            TableFactor::Table { name, alias, .. } if self.is_guarded(name) => {
                let qualifier = alias
                    .as_ref()
                    .map_or_else(|| idents(name), |a| vec![a.name.clone()]);
                self.done.handled += 1;
                Ok(vec![self.predicate(qualifier)])
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => self.guard_joins(table_with_joins, place),
            // Derived tables and other subqueries are queries of their own: the visitor
            // reaches their SELECTs. Anything else naming the table (PIVOT, ...) is not
            // counted as handled, and the caller refuses the statement.
            _ => Ok(Vec::new()),
        }
    }
}
