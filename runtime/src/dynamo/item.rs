//! An item's attributes, and how their values compare: the ground the condition,
//! expression, scope and check modules stand on, importing none of them.

use std::cmp::Ordering;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::Subject;

/// An item, or a request's value placeholders: attribute values by name.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// `base`, or `base_1`, `base_2`, ...: the first name `taken` says is free.
pub(crate) fn unused(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_owned();
    }
    // A map holds finitely many names, so one of the first `len + 1` suffixes is free.
    (1..=usize::MAX)
        .map(|n| format!("{base}_{n}"))
        .find(|name| !taken(name))
        .expect("a free name")
}

/// The subject as the owner attribute stores it: a number for an `i64` subject, else a
/// string.
pub(crate) fn subject_value<S: Subject>(subject: &S) -> AttributeValue {
    if let Some(n) = (subject as &dyn std::any::Any).downcast_ref::<i64>() {
        AttributeValue::N(n.to_string())
    } else {
        AttributeValue::S(subject.to_string())
    }
}

/// Whether a stored value is `expected`: numbers as DynamoDB compares them.
pub(crate) fn same_value(stored: Option<&AttributeValue>, expected: &AttributeValue) -> bool {
    match (stored, expected) {
        (Some(AttributeValue::N(a)), AttributeValue::N(b)) => same_number(a, b),
        (stored, expected) => stored == Some(expected),
    }
}

/// Two numbers in order: integers exactly, anything else as `f64`.
pub(crate) fn compare_numbers(a: &str, b: &str) -> Option<Ordering> {
    if let (Ok(a), Ok(b)) = (a.trim().parse::<i128>(), b.trim().parse::<i128>()) {
        return Some(a.cmp(&b));
    }
    let (a, b) = (a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?);
    a.partial_cmp(&b)
}

/// `1`, `1.0` and `10e-1` are one number to DynamoDB. Integers compare exactly; anything else
/// as `f64`, which is exact for the integers and short decimals a state holds.
pub(crate) fn same_number(a: &str, b: &str) -> bool {
    compare_numbers(a, b).is_some_and(Ordering::is_eq)
}
