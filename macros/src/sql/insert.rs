//! INSERT: the guard supplies the owner column, and an upsert's UPDATE carries the predicate.

use sqlparser::ast::{
    Ident, Insert, ObjectName, OnConflict, OnConflictAction, OnInsert, Query, SelectItem, SetExpr,
    SqliteOnConflict, TableObject,
};

use super::inject::{Depth, Injector};
use super::names::{idents, is_table};
use super::predicate::{add_where, subject};

impl Injector<'_> {
    pub fn insert(&mut self, insert: &mut Insert, depth: Depth) -> Result<(), String> {
        let TableObject::TableName(target) = &insert.table else {
            return Err("INSERT into a table function is not supported".into());
        };
        let target = target.clone();
        self.write_to(&target)?;
        if !self.is_guarded(&target) {
            return Ok(());
        }
        self.refuse_forms(insert)?;
        let column = self.policy.column;
        append_subject(insert.source.as_deref_mut())?;
        insert
            .columns
            .push(ObjectName::from(vec![Ident::new(column)]));
        if self.guard_upsert(insert, &target)? && depth != Depth::Nested {
            // Zero rows from `DO UPDATE` means the conflicting row is another owner's: the
            // write was refused, exactly as a guarded UPDATE that matched nothing.
            self.done.top_mutation = true;
        }
        self.done.handled += 1;
        Ok(())
    }

    /// The INSERT forms that cannot be guarded, each with what to write instead.
    fn refuse_forms(&self, insert: &Insert) -> Result<(), String> {
        let column = self.policy.column;
        if insert.replace_into || matches!(insert.or, Some(SqliteOnConflict::Replace)) {
            return Err(
                "REPLACE on the guarded table is refused: it deletes a conflicting row \
                        whoever owns it; use INSERT ... ON CONFLICT (...) DO UPDATE"
                    .into(),
            );
        }
        if !insert.assignments.is_empty() {
            return Err("INSERT ... SET is not supported on the guarded table; use \
                        INSERT INTO t (...) VALUES (...)"
                .into());
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
        Ok(())
    }

    /// `ON CONFLICT ... DO UPDATE` would otherwise update the conflicting row of any owner.
    /// Returns whether the INSERT is such an upsert.
    fn guard_upsert(&self, insert: &mut Insert, target: &ObjectName) -> Result<bool, String> {
        // Inside DO UPDATE the existing row is named by the alias, else by the bare table
        // name (PostgreSQL does not accept a schema there).
        let qualifier = insert.table_alias.as_ref().map_or_else(
            || idents(target).into_iter().last().into_iter().collect(),
            |a| vec![a.alias.clone()],
        );
        match &mut insert.on {
            None
            | Some(OnInsert::OnConflict(OnConflict {
                action: OnConflictAction::DoNothing,
                ..
            })) => Ok(false),
            Some(OnInsert::OnConflict(OnConflict {
                action: OnConflictAction::DoUpdate(update),
                ..
            })) => {
                add_where(&mut update.selection, vec![self.predicate(qualifier)]);
                Ok(true)
            }
            Some(OnInsert::DuplicateKeyUpdate(_)) => Err(
                "ON DUPLICATE KEY UPDATE cannot carry the ownership predicate, so it would \
                 overwrite another owner's row; INSERT, then run a guarded UPDATE"
                    .into(),
            ),
            Some(_) => Err("this ON clause of INSERT is not supported".into()),
        }
    }
}

/// Adds the subject as the last value of every row the INSERT writes.
fn append_subject(source: Option<&mut Query>) -> Result<(), String> {
    let Some(source) = source else {
        return Err(
            "this INSERT form is not supported on the guarded table; use \
                    INSERT INTO t (...) VALUES (...) or INSERT INTO t (...) SELECT ..."
                .into(),
        );
    };
    match &mut *source.body {
        SetExpr::Values(values) => {
            for row in &mut values.rows {
                row.push(subject());
            }
            Ok(())
        }
        SetExpr::Select(select) => {
            select.projection.push(SelectItem::UnnamedExpr(subject()));
            Ok(())
        }
        _ => Err(
            "INSERT ... SELECT with UNION or a parenthesised query is not supported on \
                  the guarded table; insert from a single SELECT"
                .into(),
        ),
    }
}
