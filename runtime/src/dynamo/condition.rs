//! A table's conditions (`[tables.items.conditions.archived]`) and its version
//! attribute, on DynamoDB: AND-ed into the writes they name, and read back from the item a
//! refusal returns to say which one refused (409 with its name, 412 for the version).
//!
//! The macro translates each condition of `guarded.toml` into a [`Condition`] of [`Rule`]s
//! once (the `[token]` and `grant` checks hold `Rule`s too); this module renders a rule as a
//! condition expression under free placeholders, and evaluates it on an item as DynamoDB
//! does: a comparison with an attribute the item lacks is false.

use std::cmp::Ordering;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::claims::{Bound, Claim};
use super::item::{Item, compare_numbers, unused};

/// A value a condition compares an attribute with: a literal, or (in a `[token]` or `grant`
/// check, never in a table's condition) one of the caller's claims.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Value {
    Bool(bool),
    Str(&'static str),
    /// A number as written in the policy.
    Num(&'static str),
    Claim(Claim),
}

/// An order comparison: `<`, `<=`, `>`, `>=`.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Lt,
    Le,
    Gt,
    Ge,
}

/// A rule of the policy, as DynamoDB can decide it on an item.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// The attribute exists and equals the value.
    Eq(&'static str, Value),
    /// The attribute exists and compares so with the value: numbers by value, strings by
    /// their bytes, other types never.
    Cmp(&'static str, Order, Value),
    /// The attribute exists.
    Exists(&'static str),
    Not(&'static Rule),
    And(&'static [Rule]),
    Or(&'static [Rule]),
}

/// A named condition of a table's policy: its name is the 409's code.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Condition {
    pub code: &'static str,
    pub update: Option<Rule>,
    pub delete: Option<Rule>,
}

/// What a request does to the item, for the conditions that apply to it: a put over an
/// existing item is an update; a transaction's `ConditionCheck` writes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Update,
    Delete,
    Check,
}

impl Condition {
    pub(crate) fn on(&self, op: Op) -> Option<&Rule> {
        match op {
            Op::Update => self.update.as_ref(),
            Op::Delete => self.delete.as_ref(),
            Op::Check => None,
        }
    }
}

impl Value {
    /// The value to send. A claim the caller lacks is NULL, which no comparison matches: the
    /// runtime refuses such a token (401 `missing_claim`) before it sends anything.
    fn attribute(self, claims: Option<&Bound>) -> AttributeValue {
        match self {
            Self::Bool(b) => AttributeValue::Bool(b),
            Self::Str(s) => AttributeValue::S(s.to_owned()),
            Self::Num(n) => AttributeValue::N(n.to_owned()),
            Self::Claim(claim) => claims
                .and_then(|c| c.get(claim))
                .cloned()
                .unwrap_or(AttributeValue::Null(true)),
        }
    }

    /// How `stored` compares with this value as DynamoDB compares them: numbers by value,
    /// strings by their bytes, booleans only for equality; `None` across types.
    fn compare(self, stored: &AttributeValue, claims: Option<&Bound>) -> Option<Ordering> {
        match (stored, self.attribute(claims)) {
            (AttributeValue::Bool(a), AttributeValue::Bool(b)) => {
                (*a == b).then_some(Ordering::Equal)
            }
            (AttributeValue::S(a), AttributeValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (AttributeValue::N(a), AttributeValue::N(b)) => compare_numbers(a, &b),
            _ => None,
        }
    }
}

impl Order {
    fn operator(self) -> &'static str {
        match self {
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }

    fn admits(self, ordering: Ordering) -> bool {
        match self {
            Self::Lt => ordering.is_lt(),
            Self::Le => ordering.is_le(),
            Self::Gt => ordering.is_gt(),
            Self::Ge => ordering.is_ge(),
        }
    }
}

/// The placeholder maps a rendered condition adds to, and the claims it may compare with.
pub(crate) struct Maps<'m> {
    pub names: &'m mut HashMap<String, String>,
    pub values: &'m mut Item,
    pub claims: Option<&'m Bound>,
}

impl Maps<'_> {
    pub(crate) fn name(&mut self, attribute: &str) -> String {
        if let Some((placeholder, _)) = self
            .names
            .iter()
            .find(|(k, v)| k.starts_with("#guarded_") && *v == attribute)
        {
            return placeholder.clone();
        }
        let placeholder = unused("#guarded_condition", |k| self.names.contains_key(k));
        self.names.insert(placeholder.clone(), attribute.to_owned());
        placeholder
    }

    fn value(&mut self, value: Value) -> String {
        let attribute = value.attribute(self.claims);
        self.placeholder(attribute)
    }

    pub(crate) fn placeholder(&mut self, value: AttributeValue) -> String {
        let placeholder = unused(":guarded_condition", |k| self.values.contains_key(k));
        self.values.insert(placeholder.clone(), value);
        placeholder
    }
}

impl Rule {
    /// The condition expression, its names and values added to `maps` under placeholders no
    /// one else uses.
    pub(crate) fn render(&self, maps: &mut Maps<'_>) -> String {
        match self {
            Self::Eq(attribute, value) => {
                let (name, value) = (maps.name(attribute), maps.value(*value));
                format!("{name} = {value}")
            }
            Self::Cmp(attribute, order, value) => {
                let (name, value) = (maps.name(attribute), maps.value(*value));
                format!("{name} {} {value}", order.operator())
            }
            Self::Exists(attribute) => format!("attribute_exists({})", maps.name(attribute)),
            Self::Not(inner) => format!("(NOT ({}))", inner.render(maps)),
            Self::And(all) => join(all, " AND ", maps),
            Self::Or(any) => join(any, " OR ", maps),
        }
    }

    /// The claims the condition compares with.
    pub(crate) fn claims(&self) -> Vec<Claim> {
        match self {
            Self::Eq(_, Value::Claim(c)) | Self::Cmp(_, _, Value::Claim(c)) => vec![*c],
            Self::Eq(..) | Self::Cmp(..) | Self::Exists(_) => Vec::new(),
            Self::Not(inner) => inner.claims(),
            Self::And(all) | Self::Or(all) => all.iter().flat_map(Self::claims).collect(),
        }
    }

    /// Whether `item` meets the condition, as DynamoDB would decide it.
    pub(crate) fn holds(&self, item: &Item) -> bool {
        self.holds_for(item, None)
    }

    /// `holds`, with the caller's claims for the values that are claims.
    pub(crate) fn holds_for(&self, item: &Item, claims: Option<&Bound>) -> bool {
        let compared = |attribute: &str, value: &Value| {
            item.get(attribute)
                .and_then(|stored| value.compare(stored, claims))
        };
        match self {
            Self::Eq(attribute, value) => compared(attribute, value).is_some_and(Ordering::is_eq),
            Self::Cmp(attribute, order, value) => {
                compared(attribute, value).is_some_and(|o| order.admits(o))
            }
            Self::Exists(attribute) => item.contains_key(*attribute),
            Self::Not(inner) => !inner.holds_for(item, claims),
            Self::And(all) => all.iter().all(|s| s.holds_for(item, claims)),
            Self::Or(any) => any.iter().any(|s| s.holds_for(item, claims)),
        }
    }
}

fn join(rules: &[Rule], op: &str, maps: &mut Maps<'_>) -> String {
    let parts: Vec<String> = rules.iter().map(|s| s.render(maps)).collect();
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

/// The top-level attributes an update expression writes (`SET`, `REMOVE`, `ADD`, `DELETE`),
/// or `None` when it does not read as one: a grant limited to some attributes then allows
/// nothing, never more.
pub(crate) fn written(
    expression: &str,
    names: Option<&HashMap<String, String>>,
) -> Option<Vec<String>> {
    let mut written = Vec::new();
    let (mut clause, mut depth, mut at_path) = (false, 0_i32, false);
    for token in tokens(expression) {
        let keyword = ["SET", "REMOVE", "ADD", "DELETE"]
            .iter()
            .any(|k| token.eq_ignore_ascii_case(k));
        if depth == 0 && keyword {
            (clause, at_path) = (true, true);
            continue;
        }
        match token {
            "(" => depth += 1,
            ")" => depth -= 1,
            "," if depth == 0 => {
                at_path = true;
                continue;
            }
            _ => {}
        }
        if at_path {
            let top = token.split(['.', '[']).next().unwrap_or_default();
            let attribute = if top.starts_with('#') {
                names?.get(top)?.clone()
            } else if top.starts_with(|c: char| c.is_alphabetic() || c == '_') {
                top.to_owned()
            } else {
                return None;
            };
            written.push(attribute);
            at_path = false;
        }
    }
    (clause && depth == 0).then_some(written)
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

    const ARCHIVED: Rule = Rule::Not(&Rule::Eq("archived", Value::Bool(true)));

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn a_state_renders_under_free_placeholders() {
        let mut names = HashMap::from([("#guarded_condition".to_owned(), "x".to_owned())]);
        let mut values = Item::new();
        let rule = Rule::And(&[ARCHIVED, Rule::Eq("kind", Value::Str("note"))]);
        let rendered = rule.render(&mut Maps {
            names: &mut names,
            values: &mut values,
            claims: None,
        });
        assert_eq!(
            rendered,
            "((NOT (#guarded_condition_1 = :guarded_condition)) AND #guarded_condition_2 = :guarded_condition_1)"
        );
        assert_eq!(names["#guarded_condition_1"], "archived");
        assert_eq!(values[":guarded_condition"], AttributeValue::Bool(true));
        assert_eq!(
            values[":guarded_condition_1"],
            AttributeValue::S("note".into())
        );
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
        let stage = Rule::Or(&[
            Rule::Eq("stage", Value::Num("1")),
            Rule::Not(&Rule::Exists("stage")),
        ]);
        assert!(stage.holds(&item(&[("stage", AttributeValue::N("1.0".into()))])));
        assert!(stage.holds(&item(&[])));
        assert!(!stage.holds(&item(&[("stage", AttributeValue::N("2".into()))])));
    }

    #[test]
    fn an_update_expression_names_what_it_writes() {
        let names = HashMap::from([("#t".to_owned(), "title".to_owned())]);
        let written = |e: &str| written(e, Some(&names));
        assert_eq!(
            written("SET #t = :t, version = if_not_exists(version, :z) + :one REMOVE a.b[0]"),
            Some(vec!["title".into(), "version".into(), "a".into()])
        );
        assert_eq!(
            written("set tags = list_append(tags, :x) add n :one delete s :s"),
            Some(vec!["tags".into(), "n".into(), "s".into()])
        );
        for unreadable in [
            "#unknown = :x",
            "SET #unknown = :x",
            "SET (a) = :x",
            "SET a = (b",
        ] {
            assert_eq!(written(unreadable), None, "{unreadable}");
        }
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
