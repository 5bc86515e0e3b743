//! The caller's claims as a `Guard<DynamoDb>` fn sends them: the values its checks compare
//! with and find their items by, and a table's scope for the caller.

use aws_sdk_dynamodb::types::AttributeValue;

use super::item::subject_value;
use super::scope::{Fields, Scope};
use super::{DynamoDb, Table};
use crate::jwt::{Challenge, GuardClaims, TokenCode, TokenError};
use crate::{Error, Guard};

/// A claim a check compares with or finds its item by, or a table's scope compares with.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Sub,
    Jti,
    Iat,
    /// A field of the application's claims type, by name: the expansion reads its value
    /// (see [`Fields`](super::Fields)).
    Field(&'static str),
}

/// The caller's claims, as the attribute values a check sends.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    sub: AttributeValue,
    jti: Option<AttributeValue>,
    iat: Option<AttributeValue>,
    fields: Vec<(&'static str, Option<AttributeValue>)>,
    /// The guard's challenge, for a 401 the checks find.
    challenge: Challenge,
}

impl Bound {
    pub(crate) fn of<C: GuardClaims, A>(guard: &Guard<DynamoDb, C, A>) -> Self {
        let claims = guard.claims();
        Self {
            sub: subject_value(guard.subject()),
            jti: claims.jti().map(|j| AttributeValue::S(j.to_owned())),
            iat: claims.iat().map(|i| AttributeValue::N(i.to_string())),
            fields: Vec::new(),
            challenge: guard.challenge().clone(),
        }
    }

    /// The claims of a token that holds the subject alone.
    #[cfg(test)]
    pub(crate) fn subject_only(sub: AttributeValue) -> Self {
        Self::of_token(sub, None, None)
    }

    /// The claims of a token with these `sub`, `jti` and `iat`.
    #[cfg(test)]
    pub(crate) fn of_token(
        sub: AttributeValue,
        jti: Option<AttributeValue>,
        iat: Option<AttributeValue>,
    ) -> Self {
        Self {
            sub,
            jti,
            iat,
            fields: Vec::new(),
            challenge: Challenge::None,
        }
    }

    /// The claims, with the fields of the application's claims type the expansion read.
    pub(crate) fn with(mut self, fields: Fields<'_>) -> Self {
        self.fields = fields.to_vec();
        self
    }

    /// The subject, as the owner attribute stores it.
    pub(crate) fn subject(&self) -> &AttributeValue {
        &self.sub
    }

    pub(crate) fn get(&self, claim: Claim) -> Option<&AttributeValue> {
        match claim {
            Claim::Sub => Some(&self.sub),
            Claim::Jti => self.jti.as_ref(),
            Claim::Iat => self.iat.as_ref(),
            Claim::Field(name) => self
                .fields
                .iter()
                .find(|(field, _)| *field == name)
                .and_then(|(_, value)| value.as_ref()),
        }
    }

    /// The attributes `table`'s scope requires, each with the caller's claim: a token without
    /// one of those claims is a 401 `missing_claim`, never a comparison with nothing.
    pub(crate) fn scope(&self, table: &Table) -> Result<Scope, Error> {
        table
            .scope
            .iter()
            .map(|(attribute, claim)| {
                let value = self
                    .get(*claim)
                    .cloned()
                    .ok_or_else(|| self.missing_claim())?;
                Ok((*attribute, value))
            })
            .collect()
    }

    /// A 401 `missing_claim`, challenged as the request's transport says.
    pub(crate) fn missing_claim(&self) -> Error {
        let missing = TokenError::new(TokenCode::MissingClaim);
        Error::Unauthorized(missing.with_challenge(self.challenge.clone()))
    }
}

/// A token the policy's checks refuse: 401 `revoked`.
pub(crate) fn revoked(claims: &Bound) -> Error {
    tracing::info!(
        subject = ?claims.sub,
        reason = "the policy's token condition no longer holds",
        "guarded: token revoked"
    );
    let revoked = TokenError::new(TokenCode::Revoked);
    Error::Unauthorized(revoked.with_challenge(claims.challenge.clone()))
}
