//! Where a request carries its token: an `Authorization` header of one scheme (RFC 6750's
//! `Bearer` unless configured, e.g. `Token`), or a named cookie when the verifier is given
//! one. Exactly one place per request.

use std::sync::Arc;

use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, Uri};

use super::{Challenge, TokenCode, TokenError, VerifierError};
use crate::Error;

/// How a [`Verifier`](crate::Verifier) finds the token of a request.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    /// The `Authorization` scheme, compared case-insensitively; the challenge's name.
    scheme: Arc<str>,
    /// The cookie that may carry the token instead.
    cookie: Option<String>,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            scheme: "Bearer".into(),
            cookie: None,
        }
    }
}

impl Transport {
    /// A transport of `scheme` (default `Bearer`) and, when given, the cookie `cookie`.
    pub(crate) fn new(
        scheme: Option<String>,
        cookie: Option<String>,
    ) -> Result<Self, VerifierError> {
        for (what, name) in [("scheme", &scheme), ("cookie name", &cookie)] {
            if let Some(name) = name
                && (name.is_empty() || !name.bytes().all(is_tchar))
            {
                return Err(VerifierError::new(format!(
                    "the token's {what} {name:?} must be an HTTP token (letters, digits, \
                     `!#$%&'*+-.^_|~`)"
                )));
            }
        }
        Ok(Self {
            scheme: scheme.map_or_else(|| Self::default().scheme, Arc::from),
            cookie,
        })
    }

    /// The request's token.
    ///
    /// A token in the query string is refused even next to a valid header: URLs end up in
    /// logs. Two `Authorization` headers, two cookies of the name, or a header and the cookie
    /// together are a 400: which one would count is a guess.
    pub(crate) fn token<'h>(&self, headers: &'h HeaderMap, uri: &Uri) -> Result<&'h str, Error> {
        self.read(headers, uri).map(|(token, _)| token)
    }

    /// The request's token and where it came from; a 401 carries the challenge of the header
    /// scheme (bare when no credentials came), none for a cookie that is empty.
    pub(crate) fn read<'h>(
        &self,
        headers: &'h HeaderMap,
        uri: &Uri,
    ) -> Result<(&'h str, Source), Error> {
        if uri.query().is_some_and(|q| {
            q.split('&')
                .any(|kv| kv.split('=').next() == Some("access_token"))
        }) {
            return Err(Error::BadRequest("invalid_request"));
        }
        let mut values = headers.get_all(AUTHORIZATION).iter();
        let header = values.next();
        if values.next().is_some() {
            return Err(Error::BadRequest("invalid_request"));
        }
        let cookie = match &self.cookie {
            Some(name) => cookie(headers, name)?,
            None => None,
        };
        let refused = |code| {
            let error = TokenError::new(code).with_challenge(self.challenge(Source::Header));
            Err(Error::Unauthorized(error))
        };
        match (header, cookie) {
            (Some(_), Some(_)) => Err(Error::BadRequest("invalid_request")),
            (None, Some(token)) => Ok((token, Source::Cookie)),
            (None, None) => refused(TokenCode::Missing),
            (Some(value), None) => {
                let Ok(value) = value.to_str() else {
                    return refused(TokenCode::Malformed);
                };
                match value.split_once(' ') {
                    Some((scheme, token))
                        if scheme.eq_ignore_ascii_case(&self.scheme) && !token.is_empty() =>
                    {
                        Ok((token, Source::Header))
                    }
                    _ => refused(TokenCode::Malformed),
                }
            }
        }
    }

    /// The challenge a refused token from `source` is answered with: the scheme's name for
    /// the header; none for the cookie, where a browser does nothing with one.
    pub(crate) fn challenge(&self, source: Source) -> Challenge {
        match source {
            Source::Header => Challenge::Scheme(Arc::clone(&self.scheme)),
            Source::Cookie => Challenge::None,
        }
    }
}

/// Where a request's token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Header,
    Cookie,
}

/// The value of the one cookie `name` (RFC 6265 `Cookie` headers, several allowed), without
/// the quotes it may be wrapped in; `None` when no cookie has the name, 400 when two have.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, Error> {
    let mut found = None;
    for header in headers.get_all(COOKIE) {
        let Ok(header) = header.to_str() else {
            continue;
        };
        for pair in header.split(';') {
            let Some((key, value)) = pair.trim().split_once('=') else {
                continue;
            };
            if key != name {
                continue;
            }
            if found.is_some() {
                return Err(Error::BadRequest("invalid_request"));
            }
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            if value.is_empty() {
                return Err(Error::Unauthorized(TokenError::new(TokenCode::Malformed)));
            }
            found = Some(value);
        }
    }
    Ok(found)
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The token of the single `Authorization: Bearer <token>` header, as a [`Verifier`] with the
/// default transport reads it (see [`VerifierBuilder::scheme`] and
/// [`VerifierBuilder::cookie`] for others).
///
/// [`Verifier`]: crate::Verifier
/// [`VerifierBuilder::scheme`]: crate::VerifierBuilder::scheme
/// [`VerifierBuilder::cookie`]: crate::VerifierBuilder::cookie
pub fn bearer_token<'h>(headers: &'h HeaderMap, uri: &Uri) -> Result<&'h str, Error> {
    Transport::default().token(headers, uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)], uri: &str) -> (HeaderMap, Uri) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).expect("a name"),
                value.parse().expect("a value"),
            );
        }
        (map, uri.parse().expect("a uri"))
    }

    fn code(result: Result<&str, Error>) -> &'static str {
        result.expect_err("refused").code()
    }

    #[test]
    fn a_configured_scheme_replaces_bearer() {
        let token = Transport::new(Some("Token".into()), None).expect("a scheme");
        let (h, u) = request(&[("authorization", "token abc")], "/");
        assert_eq!(token.token(&h, &u).expect("read"), "abc");
        let (h, u) = request(&[("authorization", "Bearer abc")], "/");
        assert_eq!(code(token.token(&h, &u)), "malformed");
        assert_eq!(bearer_token(&h, &u).expect("bearer"), "abc");
    }

    #[test]
    fn a_cookie_carries_the_token_alone() {
        let t = Transport::new(None, Some("session".into())).expect("a cookie");
        let (h, u) = request(&[("cookie", "theme=dark; session=abc.def.ghi")], "/");
        assert_eq!(t.token(&h, &u).expect("read"), "abc.def.ghi");
        let (h, u) = request(&[("cookie", "a=1"), ("cookie", "session=\"xyz\"")], "/");
        assert_eq!(t.token(&h, &u).expect("quoted"), "xyz");
        for (headers, expected) in [
            (vec![("cookie", "session=a; session=b")], "invalid_request"),
            (
                vec![("cookie", "session=a"), ("cookie", "session=b")],
                "invalid_request",
            ),
            (
                vec![("cookie", "session=a"), ("authorization", "Bearer b")],
                "invalid_request",
            ),
            (vec![("cookie", "session=")], "malformed"),
            (vec![("cookie", "sessionx=a; xsession=b")], "missing"),
        ] {
            let (h, u) = request(&headers, "/");
            assert_eq!(code(t.token(&h, &u)), expected, "{headers:?}");
        }
        let (h, u) = request(&[("cookie", "session=a")], "/?access_token=a");
        assert_eq!(code(t.token(&h, &u)), "invalid_request");
        // Without the cookie configured, a cookie is no credential.
        assert_eq!(
            code(bearer_token(&h, &"/".parse().expect("uri"))),
            "missing"
        );
    }

    #[test]
    fn names_are_http_tokens() {
        assert!(Transport::new(Some(String::new()), None).is_err());
        assert!(Transport::new(Some("Bear er".into()), None).is_err());
        assert!(Transport::new(None, Some("a;b".into())).is_err());
        assert!(Transport::new(Some("DPoP".into()), Some("__Host-token".into())).is_ok());
    }
}
