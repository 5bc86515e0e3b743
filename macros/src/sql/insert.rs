//! INSERT: the guard supplies the owner column, and an upsert's UPDATE carries the predicate.

use sqlparser::ast::{
    Ident, Insert, ObjectName, OnConflict, OnConflictAction, OnInsert, Query, SelectItem, SetExpr,
    SqliteOnConflict, TableObject,
};

use sqlparser::tokenizer::Token;

use super::Owner;
use super::inject::{Check, Depth, Injector, Place};
use super::locate::Clause;
use super::names::{idents, is_table};
use super::predicate::{add_where, subject_expr};
use super::splice::Piece;

impl Injector<'_> {
    pub fn insert(&mut self, insert: &mut Insert, depth: Depth) -> Result<(), String> {
        let TableObject::TableName(target) = &insert.table else {
            return Err("INSERT into a table function is not supported".into());
        };
        let target = target.clone();
        self.write_to(&target)?;
        let Some(owner) = self.owner_of(&target) else {
            // A declared unguarded table: a revoked token writes it no more than a guarded one.
            if self.policy.valid.is_some() {
                self.validate_source(insert, depth, false)?;
            }
            return Ok(());
        };
        refuse_forms(insert, &owner.column)?;
        let keyword = self.token(insert.insert_token.0.span)?;
        self.add_owner_column(insert, &owner.column)?;
        self.append_subject(insert.source.as_deref_mut(), keyword)?;
        insert
            .columns
            .push(ObjectName::from(vec![Ident::new(&owner.column)]));
        if self.policy.valid.is_some() {
            self.validate_source(insert, depth, true)?;
        }
        if self.guard_upsert(insert, &target, owner)? {
            // Zero rows from `DO UPDATE` means the conflicting row is another owner's: the
            // write was refused, exactly as a guarded UPDATE that matched nothing.
            if depth == Depth::Nested {
                self.done.nested_write = true;
            } else {
                self.done.top_mutation = true;
                // Each row of VALUES either inserts or meets a conflicting row: zero rows
                // means the conflicting rows were another owner's.
                if matches!(
                    insert.source.as_deref().map(|q| &*q.body),
                    Some(SetExpr::Values(_))
                ) {
                    self.done.existence_check = Some(Check::Certain);
                }
            }
        }
        self.done.handled += 1;
        Ok(())
    }

    /// `ON CONFLICT ... DO UPDATE` would otherwise update the conflicting row of any owner.
    /// Returns whether the INSERT is such an upsert.
    fn guard_upsert(
        &mut self,
        insert: &mut Insert,
        target: &ObjectName,
        owner: &Owner,
    ) -> Result<bool, String> {
        // Inside DO UPDATE the existing row is named by the alias, else by the bare table
        // name (PostgreSQL does not accept a schema there).
        let qualifier = match &insert.table_alias {
            Some(alias) => alias.alias.clone(),
            None => idents(target)
                .pop()
                .ok_or_else(|| "cannot locate the table of this INSERT".to_owned())?,
        };
        let qualifier_text = self
            .source
            .range_of(&qualifier)
            .ok_or_else(|| "cannot locate the table of this INSERT".to_owned())?;
        let keyword = self.token(insert.insert_token.0.span)?;
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
                let site = self
                    .source
                    .find(keyword, "DO", Clause::Brackets)
                    .filter(|d| self.source.is(d + 1, "UPDATE"))
                    .ok_or_else(|| "cannot locate DO UPDATE in this INSERT".to_owned())
                    .and_then(|d| {
                        self.source
                            .where_site(d + 1, Clause::Mutation, update.selection.is_some())
                    })?;
                let kind = self.update_kind(&update.assignments);
                let pred = self.predicate(
                    owner,
                    vec![qualifier],
                    qualifier_text,
                    Place::Mutation(kind),
                )?;
                add_where(
                    &mut update.selection,
                    site,
                    vec![pred],
                    &mut self.done.edits,
                );
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

impl Injector<'_> {
    /// `, owner_id` after the last named column.
    fn add_owner_column(&mut self, insert: &Insert, column: &str) -> Result<(), String> {
        let last = insert
            .columns
            .last()
            .and_then(|c| idents(c).last().cloned())
            .and_then(|i| self.source.range_of(&i))
            .ok_or_else(|| "cannot locate the column list of this INSERT".to_owned())?;
        self.done.edits.text(last.1, format!(", {column}"));
        Ok(())
    }

    /// Adds the subject as the last value of every row the INSERT writes.
    fn append_subject(&mut self, source: Option<&mut Query>, keyword: usize) -> Result<(), String> {
        let Some(source) = source else {
            return Err(
                "this INSERT form is not supported on the guarded table; use \
                        INSERT INTO t (...) VALUES (...) or INSERT INTO t (...) SELECT ..."
                    .into(),
            );
        };
        let subject = vec![Piece::Text(", ".into()), Piece::Subject];
        match &mut *source.body {
            SetExpr::Values(values) => {
                let ends = self.row_ends(keyword)?;
                if ends.len() != values.rows.len() {
                    return Err("cannot locate every row of this INSERT's VALUES".into());
                }
                for (row, end) in values.rows.iter_mut().zip(ends) {
                    row.push(subject_expr(self.subject));
                    self.done.edits.insert(end, subject.clone());
                }
                Ok(())
            }
            SetExpr::Select(select) => {
                let at = self.token(select.select_token.0.span)?;
                let end = self
                    .source
                    .before(at, "FROM", Clause::Projection)
                    .ok_or_else(|| "cannot locate the SELECT list of this INSERT".to_owned())?;
                select
                    .projection
                    .push(SelectItem::UnnamedExpr(subject_expr(self.subject)));
                self.done.edits.insert(end, subject);
                Ok(())
            }
            _ => Err(
                "INSERT ... SELECT with UNION or a parenthesised query is not supported on \
                  the guarded table; insert from a single SELECT"
                    .into(),
            ),
        }
    }

    /// With `[token] valid`, the rows an INSERT writes come from a SELECT whose WHERE takes
    /// the condition (see `Injector::select`): a token that fails it inserts nothing. Into a
    /// guarded table (`denies`) that denies like any guarded write that matched nothing; into
    /// an unguarded one the fn still ends as 401 `revoked` (see `Analysis::validity`).
    fn validate_source(
        &mut self,
        insert: &Insert,
        depth: Depth,
        denies: bool,
    ) -> Result<(), String> {
        let Some(SetExpr::Select(select)) = insert.source.as_deref().map(|q| &*q.body) else {
            return Err(
                "the policy's `[token] valid` condition needs a WHERE, which VALUES has \
                 not: write this INSERT as INSERT INTO t (...) SELECT ?, ?"
                    .into(),
            );
        };
        let at = self
            .source
            .offset(select.select_token.0.span.start)
            .ok_or_else(|| "cannot locate the SELECT of this INSERT".to_owned())?;
        self.validate.push(at);
        if !denies {
            return Ok(());
        }
        if depth == Depth::Nested {
            self.done.nested_write = true;
        } else {
            self.done.top_mutation = true;
        }
        Ok(())
    }

    /// The end offset of each VALUES row's last value (before its closing parenthesis).
    fn row_ends(&self, keyword: usize) -> Result<Vec<usize>, String> {
        let source = self.source;
        let values = source
            .find(keyword, "VALUES", Clause::Brackets)
            .or_else(|| source.find(keyword, "VALUE", Clause::Brackets))
            .ok_or_else(|| "cannot locate VALUES in this INSERT".to_owned())?;
        let mut ends = Vec::new();
        let mut i = values + 1;
        loop {
            if source.is(i, "ROW") {
                i += 1;
            }
            if !source.is_token(i, &Token::LParen) {
                break;
            }
            let close = source
                .closing(i)
                .ok_or_else(|| "cannot locate a row of this INSERT's VALUES".to_owned())?;
            ends.push(source.toks[close - 1].end);
            if !source.is_token(close + 1, &Token::Comma) {
                break;
            }
            i = close + 2;
        }
        Ok(ends)
    }
}

/// The INSERT forms that cannot be guarded, each with what to write instead.
fn refuse_forms(insert: &Insert, column: &str) -> Result<(), String> {
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
