//! The guard's part of a request's expressions: the owner condition AND-ed into the fn's own,
//! under placeholders its maps do not use.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::condition::{Maps, Op, Rule, compared};
use super::item::{Item, same_value, unused};
use super::scope::{self, Scope};
use super::{DynamoError, Table};
use crate::{Deny, Error};

/// A condition (or filter) and the placeholder maps, as a request holds them.
#[derive(Default, Clone)]
pub(crate) struct Expression {
    pub condition: Option<String>,
    pub names: Option<HashMap<String, String>>,
    pub values: Option<Item>,
}

/// What the guard requires of the item.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ownership {
    /// It exists and is the caller's.
    Mine,
    /// It does not exist, or it is the caller's: a put.
    MineOrNone,
    /// It exists, whoever owns it: a write a grant allows, decided by the grant's check.
    Granted,
}

impl Expression {
    /// AND-s the ownership, the scope and the conditions the caller's item must pass, into the
    /// condition; returns the owner attribute's placeholder.
    pub(crate) fn guard(
        &mut self,
        owner: &str,
        subject: AttributeValue,
        ownership: Ownership,
        scope: &Scope,
        conditions: &[&Rule],
    ) -> Result<String, Error> {
        let names = self.names.get_or_insert_with(HashMap::new);
        let values = self.values.get_or_insert_with(HashMap::new);
        let name = unused("#guarded_owner", |k| names.contains_key(k));
        names.insert(name.clone(), owner.to_owned());
        let mut mine = if ownership == Ownership::Granted {
            format!("attribute_exists({name})")
        } else {
            let value = unused(":guarded_subject", |k| values.contains_key(k));
            values.insert(value.clone(), subject);
            format!("{name} = {value}")
        };
        if let Some(scoped) = scope::render(scope, names, values) {
            mine = format!("{mine} AND {scoped}");
        }
        let mut maps = Maps {
            names,
            values,
            claims: None,
        };
        for rule in conditions {
            mine = format!("{mine} AND {}", rule.render(&mut maps));
        }
        let ours = match ownership {
            Ownership::Mine | Ownership::Granted => mine,
            Ownership::MineOrNone => format!("(attribute_not_exists({name}) OR ({mine}))"),
        };
        self.and(&ours)?;
        Ok(name)
    }

    /// AND-s the scope alone into the condition: a query whose key condition already pins
    /// the owner.
    pub(crate) fn restrict(&mut self, scope: &Scope) -> Result<(), Error> {
        let names = self.names.get_or_insert_with(HashMap::new);
        let values = self.values.get_or_insert_with(HashMap::new);
        if let Some(scoped) = scope::render(scope, names, values) {
            return self.and(&scoped);
        }
        self.empty_maps();
        Ok(())
    }

    fn and(&mut self, ours: &str) -> Result<(), Error> {
        self.condition = Some(match self.condition.take() {
            Some(theirs) if !theirs.trim().is_empty() => {
                balanced(&theirs)?;
                format!("{} AND {ours}", operand(&theirs))
            }
            _ => ours.to_owned(),
        });
        self.empty_maps();
        Ok(())
    }

    /// DynamoDB refuses an empty map: a grant's condition binds no value.
    fn empty_maps(&mut self) {
        if self.values.as_ref().is_some_and(HashMap::is_empty) {
            self.values = None;
        }
        if self.names.as_ref().is_some_and(HashMap::is_empty) {
            self.names = None;
        }
    }
}

/// A balanced condition as one operand of an AND: in parentheses, unless one pair already
/// encloses all of it (DynamoDB refuses `((a))` as redundant).
pub(crate) fn operand(condition: &str) -> String {
    let trimmed = condition.trim();
    let mut depth = 0_i64;
    let enclosed = trimmed.starts_with('(')
        && trimmed.char_indices().all(|(at, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            depth > 0 || at == trimmed.len() - 1
        });
    if enclosed {
        trimmed.to_owned()
    } else {
        format!("({trimmed})")
    }
}

/// The fn's condition is one operand once parenthesised only if its own parentheses balance:
/// `a) OR (b` would turn `(a) OR (b) AND owner` into an OR around the owner check.
/// Expressions have no string literals (values are placeholders), so counting is exact.
pub(crate) fn balanced(condition: &str) -> Result<(), Error> {
    let mut depth = 0_i64;
    let mut closed_early = false;
    for c in condition.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        closed_early |= depth < 0;
    }
    if depth == 0 && !closed_early {
        Ok(())
    } else {
        Err(DynamoError::refused(format!(
            "a condition whose parentheses do not balance cannot be AND-ed with the owner's: \
             {condition:?}"
        ))
        .into())
    }
}

/// Whether `item` is the subject's.
pub(crate) fn owned(item: &Item, owner: &str, subject: &AttributeValue) -> bool {
    item.get(owner) == Some(subject)
}

/// A guarded write, as its refusal is told apart.
pub(crate) struct Guarded<'t> {
    pub table: &'t Table,
    pub ownership: Ownership,
    pub op: Op,
    /// The fn's own condition and maps, before the guard's part.
    pub theirs: Expression,
    /// The table's scope, with the caller's claims.
    pub scope: Scope,
}

impl Guarded<'_> {
    /// The conditions of the table's policy this write's item must pass.
    pub(crate) fn conditions(&self) -> Vec<&'static Rule> {
        self.table
            .conditions
            .iter()
            .filter_map(|condition| condition.on(self.op))
            .collect()
    }

    /// Whether the refusal returned another owner's item in the caller's scope: a grant may
    /// still allow the write.
    pub(crate) fn another_owners(&self, item: Option<&Item>, subject: &AttributeValue) -> bool {
        self.ownership == Ownership::Mine
            && item.is_some_and(|i| {
                !owned(i, self.table.owner, subject) && scope::holds(&self.scope, i)
            })
    }

    /// Why the write was refused, from the item the database returned with the refusal: none,
    /// one of another scope, or another owner's, is the denial (another scope's a 404 even
    /// under `deny = 403`: the caller learns nothing of another tenant). The caller's own item
    /// was refused by a condition (409 with its name), by the version the fn compared (412), or
    /// by the fn's own condition (409 `condition_failed`).
    pub(crate) fn refusal(&self, item: Option<&Item>, subject: &AttributeValue) -> Error {
        match item {
            Some(item) if !scope::holds(&self.scope, item) => Error::Denied(Deny::NotFound),
            None if self.ownership == Ownership::MineOrNone => Error::Conflict("condition_failed"),
            None => Error::Denied(Deny::NotFound),
            Some(item)
                if self.ownership == Ownership::Granted
                    || owned(item, self.table.owner, subject) =>
            {
                self.why(item)
            }
            Some(_) => Error::Denied(self.table.deny),
        }
    }

    fn why(&self, item: &Item) -> Error {
        let refused_by = self
            .table
            .conditions
            .iter()
            .find(|condition| condition.on(self.op).is_some_and(|rule| !rule.holds(item)));
        if let Some(condition) = refused_by {
            return Error::Conflict(condition.code);
        }
        let stale = self.table.version.is_some_and(|version| {
            let Expression {
                condition,
                names,
                values,
            } = &self.theirs;
            let expected = compared(
                condition.as_deref().unwrap_or_default(),
                names.as_ref(),
                values.as_ref(),
                version,
            );
            expected.is_some_and(|expected| !same_value(item.get(version), expected))
        });
        if stale {
            Error::PreconditionFailed
        } else {
            Error::Conflict("condition_failed")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guarded(condition: Option<&str>, names: &[&str]) -> Result<Expression, Error> {
        let mut e = Expression {
            condition: condition.map(str::to_owned),
            names: Some(
                names
                    .iter()
                    .map(|n| ((*n).to_owned(), "x".to_owned()))
                    .collect(),
            ),
            values: None,
        };
        e.guard(
            "owner_id",
            AttributeValue::S("alice".into()),
            Ownership::Mine,
            &Vec::new(),
            &[],
        )?;
        Ok(e)
    }

    #[test]
    fn the_owner_is_anded_with_the_fns_condition_under_free_names() {
        let e = guarded(Some("a = :a OR b = :b"), &["#guarded_owner"]).unwrap();
        assert_eq!(
            e.condition.as_deref(),
            Some("(a = :a OR b = :b) AND #guarded_owner_1 = :guarded_subject")
        );
        let names = e.names.unwrap();
        assert_eq!(names["#guarded_owner"], "x");
        assert_eq!(names["#guarded_owner_1"], "owner_id");
    }

    #[test]
    fn an_operand_is_parenthesised_once() {
        assert_eq!(operand("a = :a"), "(a = :a)");
        assert_eq!(operand(" (a = :a OR b = :b) "), "(a = :a OR b = :b)");
        assert_eq!(operand("(a = :a) OR (b = :b)"), "((a = :a) OR (b = :b))");
        assert_eq!(operand("size(a) > :n"), "(size(a) > :n)");
    }

    #[test]
    fn a_condition_that_would_escape_its_parentheses_is_refused() {
        for bad in ["a) OR (b", "(a", "a)", ")a = :a("] {
            assert!(guarded(Some(bad), &[]).is_err(), "{bad}");
        }
        assert!(guarded(Some("(a = :a) OR (size(b) > :n)"), &[]).is_ok());
    }
}
