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

use sqlparser::ast::{JoinConstraint, JoinOperator, ObjectName, TableFactor, TableWithJoins};

use super::inject::{Injector, Place, scope_of};
use super::names::{idents, last_name};
use super::predicate::{Pred, add_on};

/// Which side of a join the ON clause protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nullable {
    /// `LEFT JOIN r ON c`: r's rows are optional.
    Right,
    /// `l RIGHT JOIN r ON c`: l's rows are optional.
    Left,
    /// No ON to use.
    Neither,
}

fn nullable(operator: &JoinOperator) -> Nullable {
    match operator {
        JoinOperator::Left(JoinConstraint::On(_))
        | JoinOperator::LeftOuter(JoinConstraint::On(_)) => Nullable::Right,
        JoinOperator::Right(JoinConstraint::On(_))
        | JoinOperator::RightOuter(JoinConstraint::On(_)) => Nullable::Left,
        _ => Nullable::Neither,
    }
}

impl Injector<'_> {
    /// Guards every reference in a FROM list; returns the predicates that go to its WHERE.
    pub fn guard_from(
        &mut self,
        from: &mut [TableWithJoins],
        place: Place,
    ) -> Result<Vec<Pred>, String> {
        let mut wheres = Vec::new();
        for twj in from {
            wheres.extend(self.guard_joins(twj, place)?);
        }
        Ok(wheres)
    }

    fn guard_joins(&mut self, twj: &mut TableWithJoins, place: Place) -> Result<Vec<Pred>, String> {
        // Predicates of the tables joined so far that still wait for a place.
        let mut pending = self.factor(&mut twj.relation, place)?;
        for join in &mut twj.joins {
            let mine = self.factor(&mut join.relation, place)?;
            match (place, nullable(&join.join_operator)) {
                (Place::Query, Nullable::Right) => self.push_on(&mut join.join_operator, mine)?,
                (Place::Query, Nullable::Left) => {
                    let before = std::mem::replace(&mut pending, mine);
                    self.push_on(&mut join.join_operator, before)?;
                }
                _ => pending.extend(mine),
            }
        }
        Ok(pending)
    }

    fn push_on(&mut self, operator: &mut JoinOperator, preds: Vec<Pred>) -> Result<(), String> {
        if preds.is_empty() {
            return Ok(());
        }
        let (JoinOperator::Left(JoinConstraint::On(on))
        | JoinOperator::LeftOuter(JoinConstraint::On(on))
        | JoinOperator::Right(JoinConstraint::On(on))
        | JoinOperator::RightOuter(JoinConstraint::On(on))) = operator
        else {
            return Err("internal: an ON predicate without ON".into());
        };
        let start = self.source.start_of(&*on).ok_or_else(unlocated)?;
        let site = self.source.on_site(start)?;
        add_on(on, site, preds, &mut self.done.edits);
        Ok(())
    }

    fn factor(&mut self, factor: &mut TableFactor, place: Place) -> Result<Vec<Pred>, String> {
        match factor {
            TableFactor::Table { name, alias, .. } => {
                let Some(owner) = self.owner_of(name) else {
                    return Ok(Vec::new());
                };
                let place = match (place, &self.written) {
                    (Place::Mutation(_), Some(written)) => {
                        let called = alias
                            .as_ref()
                            .map_or_else(|| last_name(name), |a| a.name.value.clone());
                        if written.contains(&called.to_ascii_lowercase()) {
                            place
                        } else {
                            Place::Source
                        }
                    }
                    _ => place,
                };
                let public = owner.public_read && matches!(place, Place::Query | Place::Source);
                if public && scope_of(owner, place).is_none() {
                    // A read of a table whose reads are public: handled, with no predicate.
                    self.done.handled += 1;
                    return Ok(Vec::new());
                }
                if alias.as_ref().is_some_and(|a| !a.columns.is_empty()) {
                    return Err(format!(
                        "a column alias list on `{}` can rename another column to `{}`, so \
                         the guard's predicate would compare the wrong one; alias the \
                         columns in the SELECT list instead",
                        owner.table, owner.column
                    ));
                }
                let (qualifier, text) = match alias {
                    Some(alias) => {
                        let text = self.source.range_of(&alias.name).ok_or_else(unlocated)?;
                        (vec![alias.name.clone()], text)
                    }
                    None => (idents(name), self.name_range(name)?),
                };
                self.done.handled += 1;
                if public {
                    // A public read within the table's scope: the scope alone.
                    return Ok(self.scope_alone(owner, text)?.into_iter().collect());
                }
                Ok(vec![self.predicate(owner, qualifier, text, place)?])
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

    /// The text of a table name, first part to last.
    pub fn name_range(&self, name: &ObjectName) -> Result<(usize, usize), String> {
        let parts = idents(name);
        let first = parts.first().and_then(|i| self.source.range_of(i));
        let last = parts.last().and_then(|i| self.source.range_of(i));
        match (first, last) {
            (Some((start, _)), Some((_, end))) => Ok((start, end)),
            _ => Err(unlocated()),
        }
    }
}

fn unlocated() -> String {
    "cannot locate a table reference of this statement; write it more plainly (please \
     report it)"
        .into()
}
