//! INSERT: the guard supplies the owner column, and an upsert's UPDATE carries the predicate.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, GroupByExpr, Ident, Insert, ObjectName, OnConflict, OnConflictAction, OnInsert, Query,
    Select, SelectItem, SetExpr, SqliteOnConflict, Statement, TableFactor, TableObject, Visit,
    Visitor,
};

use sqlparser::tokenizer::Token;

use super::Dialect;
use super::inject::{Check, Depth, Injector, Place, keep_in_scope};
use super::locate::{Clause, Site};
use super::names::{idents, is_table};
use super::predicate::{add_condition, add_where, subject_expr};
use super::splice::Piece;
use crate::policy::{Claim, Owner, Rule};

impl Injector<'_> {
    pub fn insert(&mut self, insert: &mut Insert, depth: Depth) -> Result<(), String> {
        let TableObject::TableName(target) = &insert.table else {
            return Err("INSERT into a table function is not supported".into());
        };
        let target = target.clone();
        self.write_to(&target)?;
        let Some(owner) = self.owner_of(&target) else {
            // A declared unguarded table: a revoked token writes it no more than a guarded one,
            // neither by the rows it inserts nor through the update of an upsert.
            if self.policy.valid.is_some() {
                self.validate_source(insert, depth, false, None)?;
                self.validate_upsert(insert)?;
            }
            return Ok(());
        };
        refuse_forms(insert, owner)?;
        let keyword = self.token(insert.insert_token.0.span)?;
        // The owner column, then each column the scope sets, from the subject and the claims.
        let mut forced = vec![(owner.column.as_str(), Piece::Subject)];
        let scope = owner.scope.as_ref();
        for (column, claim) in scope.map(|s| s.set.as_slice()).unwrap_or_default() {
            let piece = match claim {
                Claim::Sub => Piece::Subject,
                claim => Piece::Claim(claim.clone(), self.claim_placeholder(claim)),
            };
            forced.push((column.as_str(), piece));
        }
        self.add_columns(insert, &forced)?;
        self.append_values(insert.source.as_deref_mut(), keyword, &forced)?;
        for (column, _) in &forced {
            insert
                .columns
                .push(ObjectName::from(vec![Ident::new(*column)]));
        }
        let check = match scope.map(|s| &s.insert) {
            Some(Err(why)) => {
                return Err(format!(
                    "an INSERT into `{}` is refused: {why}",
                    owner.table
                ));
            }
            Some(Ok(check)) => check.as_ref(),
            None => None,
        };
        if self.policy.valid.is_some() || check.is_some() {
            self.validate_source(insert, depth, true, check)?;
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
                if let Some(SetExpr::Values(values)) = insert.source.as_deref().map(|q| &*q.body) {
                    self.done.existence_check = Some(Check::Certain);
                    self.done.rows = values.rows.len();
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
                keep_in_scope(owner, &update.assignments)?;
                let site = self.do_update_site(keyword, update.selection.is_some())?;
                let kind = self.update_kind(&update.assignments);
                self.returning = insert.returning.is_some();
                let pred = self.predicate(
                    owner,
                    vec![qualifier],
                    qualifier_text,
                    Place::Mutation(kind),
                );
                self.returning = false;
                let pred = pred?;
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

impl<'a> Injector<'a> {
    /// Where the WHERE of the `DO UPDATE` of the INSERT at token `keyword` is.
    fn do_update_site(&self, keyword: usize, exists: bool) -> Result<Site, String> {
        self.source
            .find(keyword, "DO", Clause::Brackets)
            .filter(|d| self.source.is(d + 1, "UPDATE"))
            .ok_or_else(|| "cannot locate DO UPDATE in this INSERT".to_owned())
            .and_then(|d| self.source.where_site(d + 1, Clause::Mutation, exists))
    }

    /// Under `[token] valid`, the update of an upsert into an unguarded table carries the
    /// condition too: the row it updates is not one the validated source wrote, so the
    /// source's filter alone would not stop it. MySQL's `ON DUPLICATE KEY UPDATE` takes no
    /// condition, so it is refused there.
    fn validate_upsert(&mut self, insert: &mut Insert) -> Result<(), String> {
        let keyword = self.token(insert.insert_token.0.span)?;
        match &mut insert.on {
            Some(OnInsert::OnConflict(OnConflict {
                action: OnConflictAction::DoUpdate(update),
                ..
            })) => {
                let site = self.do_update_site(keyword, update.selection.is_some())?;
                let valid = self.validity(None)?.into_iter().collect();
                add_where(&mut update.selection, site, valid, &mut self.done.edits);
                Ok(())
            }
            Some(OnInsert::DuplicateKeyUpdate(_)) => Err(
                "ON DUPLICATE KEY UPDATE cannot carry the policy's `[token] valid` condition, \
                 so a revoked token could still update the row it meets; use INSERT ... \
                 SELECT ... WHERE NOT EXISTS (...), or a guarded UPDATE"
                    .into(),
            ),
            _ => Ok(()),
        }
    }

    /// `SELECT * FROM (<select>) AS __guarded_rows WHERE (<valid>)`: the rows a SELECT
    /// that may aggregate makes, filtered by the token's condition after they are made (a
    /// `COUNT(*)` over no row is still a row). Called once the SELECT's own parts are guarded.
    pub fn wrap_source(&mut self, select: &mut Select) -> Result<(), String> {
        let at = self.token(select.select_token.0.span)?;
        // The checks of a scope are kept by where the SELECT starts in the text.
        let offset = self.source.offset(select.select_token.0.span.start);
        if self.dialect == Dialect::MySql {
            return self.having_valid(select, at, offset);
        }
        let (start, end) = self
            .source
            .end_of(at, Clause::Body)
            .map(|end| (self.source.toks[at].start, end))
            .ok_or_else(|| "cannot locate the SELECT of this INSERT".to_owned())?;
        let Some(valid) = self.validity(offset)? else {
            return Ok(());
        };
        let template = "SELECT * FROM (SELECT 1) AS __guarded_rows WHERE 1 = 1";
        let parsed = super::parse::parse(template, self.dialect)?.1;
        let Statement::Query(mut query) = parsed else {
            unreachable!("the template is a query")
        };
        let SetExpr::Select(outer) = &mut *query.body else {
            unreachable!("the template is a SELECT")
        };
        let TableFactor::Derived { subquery, .. } = &mut outer.from[0].relation else {
            unreachable!("the template reads a derived table")
        };
        *subquery.body = SetExpr::Select(Box::new(select.clone()));
        outer.selection = Some(valid.expr);
        self.done.edits.text(start, "SELECT * FROM (");
        let mut close = vec![Piece::Text(") AS __guarded_rows WHERE ".into())];
        close.extend(valid.text);
        self.done.edits.insert(end, close);
        *select = *outer.clone();
        Ok(())
    }

    /// MySQL names a derived table's columns after their text, and refuses two alike (`SELECT
    /// ?, ?` with the owner's value appended): there the condition goes to HAVING instead,
    /// which MySQL applies to the rows a SELECT makes, grouped or not.
    fn having_valid(
        &mut self,
        select: &mut Select,
        at: usize,
        start: Option<usize>,
    ) -> Result<(), String> {
        if !select.named_window.is_empty() {
            return Err(
                "under the policy's `[token] valid` condition, the SELECT of an INSERT that \
                 aggregates cannot have a WINDOW clause on MySQL; name the window in OVER (...)"
                    .into(),
            );
        }
        let site = match self.source.find(at, "HAVING", Clause::Body) {
            Some(having) if select.having.is_some() => {
                self.source.condition(having, Clause::Select)
            }
            None if select.having.is_none() => self
                .source
                .end_of(at, Clause::Body)
                .map(|at| Site::Missing { at })
                .ok_or_else(|| "cannot locate the SELECT of this INSERT".to_owned()),
            _ => Err("cannot locate the HAVING of this SELECT".to_owned()),
        }?;
        let valid = self.validity(start)?.into_iter().collect();
        add_condition(
            &mut select.having,
            site,
            valid,
            &mut self.done.edits,
            " HAVING ",
        );
        Ok(())
    }

    /// `, owner_id` (and each forced column) after the last named column.
    fn add_columns(&mut self, insert: &Insert, forced: &[(&str, Piece)]) -> Result<(), String> {
        let last = insert
            .columns
            .last()
            .and_then(|c| idents(c).last().cloned())
            .and_then(|i| self.source.range_of(&i))
            .ok_or_else(|| "cannot locate the column list of this INSERT".to_owned())?;
        let names: Vec<&str> = forced.iter().map(|(c, _)| *c).collect();
        let names = format!(", {}", names.join(", "));
        self.done.edits.text(last.1, names);
        Ok(())
    }

    /// Adds the forced values (the subject, the scope's claims) as the last values of every
    /// row the INSERT writes.
    fn append_values(
        &mut self,
        source: Option<&mut Query>,
        keyword: usize,
        forced: &[(&str, Piece)],
    ) -> Result<(), String> {
        let Some(source) = source else {
            return Err(
                "this INSERT form is not supported on the guarded table; use \
                        INSERT INTO t (...) VALUES (...) or INSERT INTO t (...) SELECT ..."
                    .into(),
            );
        };
        let mut text = Vec::new();
        let mut exprs = Vec::new();
        for (_, piece) in forced {
            text.push(Piece::Text(", ".into()));
            text.push(piece.clone());
            exprs.push(match piece {
                Piece::Claim(_, placeholder) => subject_expr(placeholder),
                _ => subject_expr(self.subject),
            });
        }
        match &mut *source.body {
            SetExpr::Values(values) => {
                let ends = self.row_ends(keyword)?;
                if ends.len() != values.rows.len() {
                    return Err("cannot locate every row of this INSERT's VALUES".into());
                }
                for (row, end) in values.rows.iter_mut().zip(ends) {
                    row.extend(exprs.iter().cloned());
                    self.done.edits.insert(end, text.clone());
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
                    .extend(exprs.into_iter().map(SelectItem::UnnamedExpr));
                self.done.edits.insert(end, text);
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
        check: Option<&'a Rule>,
    ) -> Result<(), String> {
        let Some(SetExpr::Select(select)) = insert.source.as_deref().map(|q| &*q.body) else {
            let what = if check.is_some() {
                "the table's `scope`, checked on the row an INSERT makes,"
            } else {
                "the policy's `[token] valid` condition"
            };
            return Err(format!(
                "{what} needs a WHERE, which VALUES has not: write this INSERT as INSERT \
                 INTO t (...) SELECT ?, ?"
            ));
        };
        let at = self
            .source
            .offset(select.select_token.0.span.start)
            .ok_or_else(|| "cannot locate the SELECT of this INSERT".to_owned())?;
        let query = insert.source.as_deref().expect("a SELECT source");
        if query.order_by.as_ref().is_some_and(calls_function) {
            return Err(
                "under the policy's `[token] valid` condition, the SELECT of an INSERT cannot \
                 ORDER BY a function: an aggregate there would make one row even when the \
                 condition is false; order by a column"
                    .into(),
            );
        }
        if may_aggregate(select) {
            self.wrap.push(at);
        } else {
            self.validate.push(at);
        }
        if let Some(check) = check {
            self.checks.push((at, check));
        }
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
fn refuse_forms(insert: &Insert, owner: &Owner) -> Result<(), String> {
    let column = owner.column.as_str();
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
             column list and its value from the row (VALUES or the SELECT list)"
        ));
    }
    for (set, claim) in owner.scope.iter().flat_map(|s| &s.set) {
        if insert.columns.iter().any(|c| is_table(c, set)) {
            return Err(format!(
                "the scope of `{}` sets `{set}` to the claim `:{}`; remove it from the \
                 column list and its value from the row (VALUES or the SELECT list)",
                owner.table,
                claim.name()
            ));
        }
    }
    Ok(())
}

/// Whether a SELECT may yield a row although its WHERE holds for none: an aggregate (any
/// function call in its list, HAVING or QUALIFY may be one: user-defined aggregates have no
/// mark), a HAVING, or a GROUP BY (`GROUP BY ()` and its kin make a grand total). Such a
/// SELECT's rows are filtered after it runs (see `Injector::wrap_source`).
fn may_aggregate(select: &Select) -> bool {
    !matches!(&select.group_by, GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty())
        || select.having.is_some()
        || calls_function(&select.projection)
        || calls_function(&select.qualify)
}

/// Whether `node` calls a function outside its sub-queries (whose aggregates make their own
/// rows, filtered by whatever encloses them).
fn calls_function<V: Visit>(node: &V) -> bool {
    struct Calls {
        depth: usize,
    }
    impl Visitor for Calls {
        type Break = ();
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if self.depth == 0 && matches!(expr, Expr::Function(_)) {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    node.visit(&mut Calls { depth: 0 }).is_break()
}
