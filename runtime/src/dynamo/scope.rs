//! A table's scope (`scope = "items.org_id = :org"` in `guarded.toml`) on DynamoDB: attributes
//! every item of the table holds, each equal to one of the caller's claims.
//!
//! Every request on the table carries each comparison as the owner's is carried: a write's
//! condition, a read's filter (or a query's key condition, when it already pins the
//! attribute), a `GetItem`'s check of the item read. A put writes each attribute from its
//! claim, and no update writes one, so an item never leaves its scope. An item of another
//! scope is no one's to the caller: its refusal is a 404 whoever owns it.

use aws_sdk_dynamodb::types::AttributeValue;

use super::DynamoError;
use super::item::{Item, same_value, unused};
use crate::Error;

/// A table's scope for one caller: each attribute and the value the item must hold there.
pub(crate) type Scope = Vec<(&'static str, AttributeValue)>;

/// The fields of the application's claims type a fn's scopes compare with, as the expansion
/// reads them: `("org", Some(value))`, or `None` for an `Option` field holding none.
#[doc(hidden)]
pub type Fields<'f> = &'f [(&'static str, Option<AttributeValue>)];

/// A claim a scope compares an attribute with, as the attribute value the item stores: a
/// string for text and ids, a number for an integer, a boolean for a `bool`.
#[diagnostic::on_unimplemented(
    message = "a scope compares an item's attribute with this claim, whose type `{Self}` has \
               no DynamoDB attribute value",
    label = "the field a `scope` of guarded.toml names",
    note = "a claim a DynamoDB scope compares with is a `String`, an integer, a `bool` or a \
            `uuid::Uuid` (or an `Option` of one)"
)]
pub trait ScopeValue {
    /// The value, as the item stores it.
    fn attribute_value(&self) -> AttributeValue;
}

impl<T: ScopeValue + ?Sized> ScopeValue for &T {
    fn attribute_value(&self) -> AttributeValue {
        (**self).attribute_value()
    }
}

impl ScopeValue for str {
    fn attribute_value(&self) -> AttributeValue {
        AttributeValue::S(self.to_owned())
    }
}

impl ScopeValue for String {
    fn attribute_value(&self) -> AttributeValue {
        AttributeValue::S(self.clone())
    }
}

impl ScopeValue for bool {
    fn attribute_value(&self) -> AttributeValue {
        AttributeValue::Bool(*self)
    }
}

impl ScopeValue for uuid::Uuid {
    /// Hyphenated and lowercase, as a `Uuid` subject is stored.
    fn attribute_value(&self) -> AttributeValue {
        AttributeValue::S(self.to_string())
    }
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl ScopeValue for $t {
            fn attribute_value(&self) -> AttributeValue {
                AttributeValue::N(self.to_string())
            }
        }
    )*};
}

numbers!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

/// A field's value for [`Fields`]: `None` when the claims hold none (an `Option` field).
#[doc(hidden)]
pub fn field<T: ScopeValue>(value: Result<T, Error>) -> Option<AttributeValue> {
    value.ok().map(|v| v.attribute_value())
}

/// Whether `item` is in the scope: it holds each attribute, equal to the caller's claim.
pub(crate) fn holds(scope: &Scope, item: &Item) -> bool {
    scope
        .iter()
        .all(|(attribute, value)| same_value(item.get(*attribute), value))
}

/// `#a = :v AND ..`, its names and values added to the maps under free placeholders; `None`
/// for no scope.
pub(crate) fn render(
    scope: &Scope,
    names: &mut std::collections::HashMap<String, String>,
    values: &mut Item,
) -> Option<String> {
    let parts: Vec<String> = scope
        .iter()
        .map(|(attribute, value)| {
            let name = unused("#guarded_scope", |k| names.contains_key(k));
            names.insert(name.clone(), (*attribute).to_owned());
            let placeholder = unused(":guarded_scope", |k| values.contains_key(k));
            values.insert(placeholder.clone(), value.clone());
            format!("{name} = {placeholder}")
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// An update writes none of the scope's attributes: the item stays in its scope. An update
/// expression whose attributes cannot be read is refused on a scoped table.
pub(crate) fn unwritten(
    scope: &Scope,
    written: Option<Vec<String>>,
    table: &str,
) -> Result<(), Error> {
    if scope.is_empty() {
        return Ok(());
    }
    let refused = |why: String| -> Error { DynamoError::refused(why).into() };
    let written = written.ok_or_else(|| {
        refused(format!(
            "an update of `{table}`, which has a scope, whose update expression does not say \
             which attributes it writes"
        ))
    })?;
    match scope.iter().find(|(a, _)| written.iter().any(|w| w == a)) {
        Some((attribute, _)) => Err(refused(format!(
            "an update writing `{attribute}`, which the scope of `{table}` sets: an item \
             stays in its scope"
        ))),
        None => Ok(()),
    }
}

/// A put's item in the caller's scope: each attribute set from its claim. A value the fn
/// wrote there that is not the claim is refused, not replaced: the fn meant another scope.
pub(crate) fn put(scope: &Scope, item: &mut Item, table: &str) -> Result<(), Error> {
    for (attribute, value) in scope {
        if let Some(written) = item.get(*attribute)
            && !same_value(Some(written), value)
        {
            return Err(DynamoError::refused(format!(
                "a put of an item whose `{attribute}` is not the caller's: the scope of \
                 `{table}` sets it from the claim"
            ))
            .into());
        }
        item.insert((*attribute).to_owned(), value.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(value: &str) -> Scope {
        vec![("org_id", AttributeValue::S(value.to_owned()))]
    }

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn an_item_is_in_the_scope_only_with_each_attribute_equal_to_the_claim() {
        let a = org("a");
        assert!(holds(
            &a,
            &item(&[("org_id", AttributeValue::S("a".into()))])
        ));
        assert!(!holds(
            &a,
            &item(&[("org_id", AttributeValue::S("b".into()))])
        ));
        assert!(!holds(&a, &item(&[])), "an item without it is in no scope");
        assert!(
            !holds(&a, &item(&[("org_id", AttributeValue::S("A".into()))])),
            "byte for byte"
        );
        let n = vec![("org_id", AttributeValue::N("7".into()))];
        assert!(holds(
            &n,
            &item(&[("org_id", AttributeValue::N("7.0".into()))])
        ));
        assert!(holds(&Vec::new(), &item(&[])), "no scope holds everything");
    }

    #[test]
    fn the_scope_renders_under_free_placeholders() {
        let mut names =
            std::collections::HashMap::from([("#guarded_scope".to_owned(), "x".to_owned())]);
        let mut values = Item::new();
        let scope = vec![
            ("org_id", AttributeValue::S("a".into())),
            ("team", AttributeValue::N("3".into())),
        ];
        let rendered = render(&scope, &mut names, &mut values);
        assert_eq!(
            rendered.as_deref(),
            Some("#guarded_scope_1 = :guarded_scope AND #guarded_scope_2 = :guarded_scope_1")
        );
        assert_eq!(names["#guarded_scope_2"], "team");
        assert_eq!(values[":guarded_scope"], AttributeValue::S("a".into()));
        assert_eq!(render(&Vec::new(), &mut names, &mut values), None);
    }

    #[test]
    fn an_update_of_a_scope_attribute_and_an_unreadable_one_are_refused() {
        let a = org("a");
        assert!(unwritten(&a, Some(vec!["title".into()]), "notes").is_ok());
        assert!(unwritten(&a, Some(vec!["title".into(), "org_id".into()]), "notes").is_err());
        assert!(unwritten(&a, None, "notes").is_err());
        assert!(unwritten(&Vec::new(), None, "items").is_ok());
    }

    #[test]
    fn a_put_lands_in_the_callers_scope_and_never_another() {
        let a = org("a");
        let mut fresh = item(&[("id", AttributeValue::S("1".into()))]);
        put(&a, &mut fresh, "notes").expect("set from the claim");
        assert_eq!(fresh["org_id"], AttributeValue::S("a".into()));
        let mut same = item(&[("org_id", AttributeValue::S("a".into()))]);
        assert!(put(&a, &mut same, "notes").is_ok());
        let mut other = item(&[("org_id", AttributeValue::S("b".into()))]);
        assert!(put(&a, &mut other, "notes").is_err());
        assert_eq!(other["org_id"], AttributeValue::S("b".into()));
    }

    #[test]
    fn a_claim_is_stored_as_its_type_reads() {
        assert_eq!("a".attribute_value(), AttributeValue::S("a".into()));
        assert_eq!(7_u32.attribute_value(), AttributeValue::N("7".into()));
        assert_eq!(true.attribute_value(), AttributeValue::Bool(true));
        assert_eq!(
            field::<String>(Ok("x".into())),
            Some(AttributeValue::S("x".into()))
        );
        assert_eq!(
            field::<String>(Err(Error::Conflict("missing"))),
            None,
            "an absent claim is no value"
        );
    }
}
