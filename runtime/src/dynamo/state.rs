//! A table's state conditions (`[tables.items.conditions.archived]`) and its version
//! attribute, on DynamoDB: AND-ed into the writes they name, and read back from the item a
//! refusal returns to say which one refused (409 with its name, 412 for the version).
//!
//! The macro translates each condition of `guarded.toml` into a [`State`] once; this module
//! renders it as a condition expression under free placeholders, and evaluates it on an item
//! with DynamoDB's own rule: a comparison with an attribute the item lacks is false.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::condition::{Item, unused};

/// A literal a state condition compares an attribute with.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Value {
    Bool(bool),
    Str(&'static str),
    /// A number as written in the policy.
    Num(&'static str),
}

/// A state condition, as DynamoDB can decide it.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum State {
    /// The attribute exists and equals the value.
    Eq(&'static str, Value),
    /// The attribute exists.
    Exists(&'static str),
    Not(&'static State),
    And(&'static [State]),
    Or(&'static [State]),
}

/// A named condition of a table's policy: its name is the 409's code.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Named {
    pub code: &'static str,
    pub update: Option<State>,
    pub delete: Option<State>,
}

/// What a request does to the item, for the conditions that apply to it: a put over an
/// existing item is an update; a transaction's `ConditionCheck` writes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Update,
    Delete,
    Check,
}

impl Named {
    pub(crate) fn on(&self, op: Op) -> Option<&State> {
        match op {
            Op::Update => self.update.as_ref(),
            Op::Delete => self.delete.as_ref(),
            Op::Check => None,
        }
    }
}

impl Value {
    fn attribute(self) -> AttributeValue {
        match self {
            Self::Bool(b) => AttributeValue::Bool(b),
            Self::Str(s) => AttributeValue::S(s.to_owned()),
            Self::Num(n) => AttributeValue::N(n.to_owned()),
        }
    }

    /// Whether `stored` equals this literal as DynamoDB compares them: numbers by value,
    /// everything else by type and content.
    fn matches(self, stored: &AttributeValue) -> bool {
        match (self, stored) {
            (Self::Bool(a), AttributeValue::Bool(b)) => a == *b,
            (Self::Str(a), AttributeValue::S(b)) => a == b,
            (Self::Num(a), AttributeValue::N(b)) => same_number(a, b),
            _ => false,
        }
    }
}

/// `1`, `1.0` and `10e-1` are one number to DynamoDB. Integers compare exactly; anything else
/// as `f64`, which is exact for the integers and short decimals a state holds.
#[expect(
    clippy::float_cmp,
    reason = "DynamoDB's equality of numbers is exact, no margin"
)]
pub(crate) fn same_number(a: &str, b: &str) -> bool {
    match (a.trim().parse::<i128>(), b.trim().parse::<i128>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        },
    }
}

/// The placeholder maps a rendered condition adds to.
pub(crate) struct Maps<'m> {
    pub names: &'m mut HashMap<String, String>,
    pub values: &'m mut Item,
}

impl Maps<'_> {
    fn name(&mut self, attribute: &str) -> String {
        if let Some((placeholder, _)) = self
            .names
            .iter()
            .find(|(k, v)| k.starts_with("#guarded_") && *v == attribute)
        {
            return placeholder.clone();
        }
        let placeholder = unused("#guarded_state", |k| self.names.contains_key(k));
        self.names.insert(placeholder.clone(), attribute.to_owned());
        placeholder
    }

    fn value(&mut self, value: Value) -> String {
        let placeholder = unused(":guarded_state", |k| self.values.contains_key(k));
        self.values.insert(placeholder.clone(), value.attribute());
        placeholder
    }
}

impl State {
    /// The condition expression, its names and values added to `maps` under placeholders no
    /// one else uses.
    pub(crate) fn render(&self, maps: &mut Maps<'_>) -> String {
        match self {
            Self::Eq(attribute, value) => {
                let (name, value) = (maps.name(attribute), maps.value(*value));
                format!("{name} = {value}")
            }
            Self::Exists(attribute) => format!("attribute_exists({})", maps.name(attribute)),
            Self::Not(inner) => format!("(NOT ({}))", inner.render(maps)),
            Self::And(all) => join(all, " AND ", maps),
            Self::Or(any) => join(any, " OR ", maps),
        }
    }

    /// Whether `item` meets the condition, as DynamoDB would decide it.
    pub(crate) fn holds(&self, item: &Item) -> bool {
        match self {
            Self::Eq(attribute, value) => item.get(*attribute).is_some_and(|v| value.matches(v)),
            Self::Exists(attribute) => item.contains_key(*attribute),
            Self::Not(inner) => !inner.holds(item),
            Self::And(all) => all.iter().all(|s| s.holds(item)),
            Self::Or(any) => any.iter().any(|s| s.holds(item)),
        }
    }
}

fn join(states: &[State], op: &str, maps: &mut Maps<'_>) -> String {
    let parts: Vec<String> = states.iter().map(|s| s.render(maps)).collect();
    format!("({})", parts.join(op))
}

/// A value an expression compares `attribute` with, with `=`: `version = :v`, `#v = :v`
/// (with `#v` naming it) or the same reversed. DynamoDB expressions hold no literals, so each
/// token is a name, a placeholder, a keyword or an operator.
///
/// It reads as a requirement only where the comparison is AND-ed at the top: the version an
/// `If-Match` compares, which classifies a refusal (a wrong reading changes a status, never a
/// decision); the key condition of a query, which has no OR or NOT.
pub(crate) fn compared<'e>(
    expression: &str,
    names: Option<&HashMap<String, String>>,
    values: Option<&'e Item>,
    attribute: &str,
) -> Option<&'e AttributeValue> {
    let tokens = tokens(expression);
    let is_attribute = |token: &str| {
        token == attribute
            || names.is_some_and(|n| n.get(token).is_some_and(|name| name == attribute))
    };
    tokens.windows(3).find_map(|w| {
        let placeholder = match w {
            [a, "=", b] if is_attribute(a) && b.starts_with(':') => b,
            [a, "=", b] if is_attribute(b) && a.starts_with(':') => a,
            _ => return None,
        };
        values?.get(*placeholder)
    })
}

/// Names, placeholders and operators, in order.
fn tokens(expression: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in expression.char_indices() {
        let word = c.is_alphanumeric() || matches!(c, '_' | '#' | ':' | '.' | '[' | ']' | '-');
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                tokens.push(&expression[s..i]);
                start = None;
            }
            _ => {}
        }
        if !word && !c.is_whitespace() {
            tokens.push(&expression[i..i + c.len_utf8()]);
        }
    }
    if let Some(s) = start {
        tokens.push(&expression[s..]);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARCHIVED: State = State::Not(&State::Eq("archived", Value::Bool(true)));

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn a_state_renders_under_free_placeholders() {
        let mut names = HashMap::from([("#guarded_state".to_owned(), "x".to_owned())]);
        let mut values = Item::new();
        let state = State::And(&[ARCHIVED, State::Eq("kind", Value::Str("note"))]);
        let rendered = state.render(&mut Maps {
            names: &mut names,
            values: &mut values,
        });
        assert_eq!(
            rendered,
            "((NOT (#guarded_state_1 = :guarded_state)) AND #guarded_state_2 = :guarded_state_1)"
        );
        assert_eq!(names["#guarded_state_1"], "archived");
        assert_eq!(values[":guarded_state"], AttributeValue::Bool(true));
        assert_eq!(values[":guarded_state_1"], AttributeValue::S("note".into()));
    }

    #[test]
    fn a_state_holds_as_dynamodb_decides_it() {
        assert!(
            ARCHIVED.holds(&item(&[])),
            "a missing attribute compares false"
        );
        assert!(ARCHIVED.holds(&item(&[("archived", AttributeValue::Bool(false))])));
        assert!(!ARCHIVED.holds(&item(&[("archived", AttributeValue::Bool(true))])));
        assert!(
            ARCHIVED.holds(&item(&[("archived", AttributeValue::S("true".into()))])),
            "another type is not equal"
        );
        let stage = State::Or(&[
            State::Eq("stage", Value::Num("1")),
            State::Not(&State::Exists("stage")),
        ]);
        assert!(stage.holds(&item(&[("stage", AttributeValue::N("1.0".into()))])));
        assert!(stage.holds(&item(&[])));
        assert!(!stage.holds(&item(&[("stage", AttributeValue::N("2".into()))])));
    }

    #[test]
    fn a_compared_value_is_found_by_name_or_placeholder() {
        let values = item(&[(":v", AttributeValue::N("3".into()))]);
        let names = HashMap::from([("#ver".to_owned(), "version".to_owned())]);
        for condition in [
            "version = :v",
            "#ver=:v",
            "attribute_exists(id) AND (:v = #ver)",
        ] {
            assert_eq!(
                compared(condition, Some(&names), Some(&values), "version"),
                Some(&AttributeValue::N("3".into())),
                "{condition}"
            );
        }
        for condition in [
            "version <> :v",
            "size(version) = :v",
            "other = :v",
            ":v = :v",
        ] {
            let found = compared(condition, Some(&names), Some(&values), "version");
            assert!(found.is_none(), "{condition}");
        }
    }
}
