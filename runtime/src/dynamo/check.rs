//! What a `Guard<DynamoDb>` fn decides on items other than the one it writes: the policy's
//! `[token] valid` (no revocation item for the token's `jti`, no cut-off after its `iat`)
//! and a table's `grant` (a share item of the caller, an administrator's user item).
//!
//! The macro translates each `[NOT] EXISTS (SELECT .. FROM t WHERE ..)` of `guarded.toml`
//! into a [`Check`]: the other item's key (the sub-select's `=` with a claim or with the
//! guarded item's attribute) and a condition on it (the rest of its `WHERE`). A write sends
//! each check as a `ConditionCheck` of the same `TransactWriteItems`, so the database decides
//! it with the write; a read checks after reading (see [`valid_after_read`]).

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::ConditionCheck;

use super::DynamoError;
pub use super::claims::Claim;
use super::claims::{Bound, revoked};
use super::condition::{Maps, Rule};
use super::item::Item;
use crate::Error;

/// Where the value of one attribute of a check's key comes from.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Claim(Claim),
    /// An attribute of the item the guarded request reads or writes (`items.id`).
    Item(&'static str),
}

/// `[NOT] EXISTS` an item of `table` with this key meeting `condition`.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub table: &'static str,
    /// The other item's key attributes and their values.
    pub key: &'static [(&'static str, Source)],
    /// `EXISTS` (the item must be there and meet the condition) or `NOT EXISTS`.
    pub exists: bool,
    pub condition: Option<Rule>,
}

impl Check {
    fn claims(&self) -> impl Iterator<Item = Claim> + '_ {
        let keyed = self.key.iter().filter_map(|(_, source)| match source {
            Source::Claim(c) => Some(*c),
            Source::Item(_) => None,
        });
        keyed.chain(self.condition.iter().flat_map(Rule::claims))
    }

    /// The other item's key. `item` holds the guarded item's attributes the key names (the
    /// request's key, or the item as the database returned it); one it lacks refuses the
    /// request, as a key that names nothing would decide nothing.
    pub(crate) fn key(&self, claims: &Bound, item: &Item) -> Result<Item, Error> {
        self.key
            .iter()
            .map(|(attribute, source)| {
                let value = match source {
                    Source::Claim(claim) => claims.get(*claim).cloned(),
                    Source::Item(name) => item.get(*name).cloned(),
                };
                let value = value.ok_or_else(|| {
                    Error::from(DynamoError::refused(format!(
                        "the check on `{}` needs `{attribute}`, which the request does not \
                         name",
                        self.table
                    )))
                })?;
                Ok(((*attribute).to_owned(), value))
            })
            .collect()
    }

    /// The condition the other item must meet, under `maps`' placeholders.
    pub(crate) fn render(&self, maps: &mut Maps<'_>) -> String {
        let key = maps.name(self.key[0].0);
        let condition = self.condition.map(|c| c.render(maps));
        match (self.exists, condition) {
            (true, None) => format!("attribute_exists({key})"),
            (true, Some(c)) => format!("(attribute_exists({key}) AND {c})"),
            (false, None) => format!("attribute_not_exists({key})"),
            (false, Some(c)) => format!("(attribute_not_exists({key}) OR (NOT {c}))"),
        }
    }

    /// Whether the check passes given the other item as read (`None`: there is none).
    pub(crate) fn holds(&self, found: Option<&Item>, claims: &Bound) -> bool {
        let met = found.is_some_and(|item| {
            self.condition
                .is_none_or(|c| c.holds_for(item, Some(claims)))
        });
        met == self.exists
    }

    /// The check as a transaction's `ConditionCheck`.
    pub(crate) fn condition_check(
        &self,
        claims: &Bound,
        item: &Item,
    ) -> Result<ConditionCheck, Error> {
        let (mut names, mut values) = (HashMap::new(), HashMap::new());
        let condition = self.render(&mut Maps {
            names: &mut names,
            values: &mut values,
            claims: Some(claims),
        });
        ConditionCheck::builder()
            .table_name(self.table)
            .set_key(Some(self.key(claims, item)?))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .build()
            .map_err(|e| DynamoError::refused(format!("a check on `{}`: {e}", self.table)).into())
    }

    /// Reads the other item (strongly consistent) and decides the check on it.
    pub(crate) async fn read(
        &self,
        client: &Client,
        claims: &Bound,
        item: &Item,
    ) -> Result<bool, Error> {
        let found = client
            .get_item()
            .table_name(self.table)
            .set_key(Some(self.key(claims, item)?))
            .consistent_read(true)
            .send()
            .await
            .map_err(DynamoError::sdk)?;
        Ok(self.holds(found.item(), claims))
    }
}

/// Who besides the owner may touch a table's items (`[tables.<t>.grant]`).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Grants {
    pub read: Option<Check>,
    pub update: Option<Check>,
    /// The attributes an update grant lets a grantee set (`None`: any but the owner).
    pub update_attributes: Option<&'static [&'static str]>,
    pub delete: Option<Check>,
}

/// What a fn's checks need of the claims, beside the checks.
impl Bound {
    /// Every claim `checks` name is in the token: a token without the `jti` a revocation
    /// check looks up is a 401 `missing_claim`, never a check of nothing.
    pub(crate) fn require(&self, checks: &[Check]) -> Result<(), Error> {
        let named = checks.iter().flat_map(Check::claims);
        for claim in named {
            if self.get(claim).is_none() {
                return Err(self.missing_claim());
            }
        }
        Ok(())
    }
}

/// The token checks, decided after a read: the read stands only if the token is still valid
/// once it has been answered. A revocation is final (a `jti` stays revoked, a cut-off only
/// moves forward), so a token valid after the read was valid while it ran; checking before
/// would let a read that starts after a logout answered slip through.
pub(crate) async fn valid_after_read(
    client: &Client,
    checks: &[Check],
    claims: &Bound,
) -> Result<(), Error> {
    for check in checks {
        if !check.read(client, claims, &Item::new()).await? {
            return Err(revoked(claims));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::{Order, Value};
    use aws_sdk_dynamodb::types::AttributeValue;

    const REVOKED: Check = Check {
        table: "revoked_tokens",
        key: &[("jti", Source::Claim(Claim::Jti))],
        exists: false,
        condition: None,
    };
    const CUTOFF: Check = Check {
        table: "users",
        key: &[("id", Source::Claim(Claim::Sub))],
        exists: false,
        condition: Some(Rule::Cmp(
            "tokens_valid_after",
            Order::Gt,
            Value::Claim(Claim::Iat),
        )),
    };

    fn bound(jti: Option<&str>) -> Bound {
        Bound::of_token(
            AttributeValue::S("alice".into()),
            jti.map(|j| AttributeValue::S(j.into())),
            Some(AttributeValue::N("100".into())),
        )
    }

    #[test]
    fn a_check_renders_as_the_condition_on_the_other_item() {
        let claims = bound(Some("j1"));
        let check = CUTOFF.condition_check(&claims, &Item::new()).unwrap();
        assert_eq!(
            check.condition_expression(),
            "(attribute_not_exists(#guarded_condition) OR (NOT #guarded_condition_1 > :guarded_condition))"
        );
        assert_eq!(check.key()["id"], AttributeValue::S("alice".into()));
        let values = check.expression_attribute_values().unwrap();
        assert_eq!(
            values[":guarded_condition"],
            AttributeValue::N("100".into())
        );
        let check = REVOKED.condition_check(&claims, &Item::new()).unwrap();
        assert_eq!(
            check.condition_expression(),
            "attribute_not_exists(#guarded_condition)"
        );
        assert_eq!(check.key()["jti"], AttributeValue::S("j1".into()));
    }

    #[test]
    fn a_check_holds_as_dynamodb_decides_it() {
        let claims = bound(Some("j1"));
        let user = |after: &str| -> Item {
            [
                ("id".to_owned(), AttributeValue::S("alice".into())),
                (
                    "tokens_valid_after".to_owned(),
                    AttributeValue::N(after.into()),
                ),
            ]
            .into()
        };
        assert!(CUTOFF.holds(None, &claims), "no user item: no cut-off");
        assert!(
            CUTOFF.holds(Some(&user("100")), &claims),
            "issued at the cut-off"
        );
        assert!(
            !CUTOFF.holds(Some(&user("101")), &claims),
            "issued before it"
        );
        assert!(REVOKED.holds(None, &claims));
        assert!(!REVOKED.holds(Some(&Item::new()), &claims));
    }

    #[test]
    fn a_token_without_the_claim_a_check_names_is_refused() {
        let refused = bound(None).require(&[CUTOFF, REVOKED]);
        assert!(
            matches!(&refused, Err(Error::Unauthorized(e)) if e.code() == "missing_claim"),
            "{refused:?}"
        );
        assert!(bound(Some("j1")).require(&[CUTOFF, REVOKED]).is_ok());
    }
}
