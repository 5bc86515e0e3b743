//! Reading the bearer token from a request (RFC 6750, header transport only).

use http::header::AUTHORIZATION;
use http::{HeaderMap, Uri};

use crate::Error;
use crate::jwt::{TokenCode, TokenError};

/// The token of the single `Authorization: Bearer <token>` header.
///
/// A token in the query string is refused even next to a valid header: URLs end up in logs.
pub fn bearer_token<'h>(headers: &'h HeaderMap, uri: &Uri) -> Result<&'h str, Error> {
    if uri.query().is_some_and(|q| {
        q.split('&')
            .any(|kv| kv.split('=').next() == Some("access_token"))
    }) {
        return Err(Error::BadRequest("invalid_request"));
    }
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(Error::Unauthorized(TokenError::new(TokenCode::Missing)));
    };
    if values.next().is_some() {
        return Err(Error::BadRequest("invalid_request"));
    }
    let value = value
        .to_str()
        .map_err(|_| Error::Unauthorized(TokenError::new(TokenCode::Malformed)))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(Error::Unauthorized(TokenError::new(TokenCode::Malformed)))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(Error::Unauthorized(TokenError::new(TokenCode::Malformed)));
    }
    Ok(token)
}
