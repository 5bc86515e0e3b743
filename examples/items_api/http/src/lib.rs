//! The HTTP edge of the demo, shared by its SQL build (`items_api`) and its DynamoDB build
//! (`items_api_dynamodb`): the item as JSON, the problem+json errors, and a JSON body
//! extractor whose every rejection is a problem+json too.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Request bodies above this are refused with 413 before any JSON work.
pub const BODY_LIMIT: usize = 16 * 1024;
/// Titles and user names are short strings.
const MAX_TEXT: usize = 200;

/// An item as the API shows it.
#[derive(Debug, Serialize)]
pub struct Item {
    /// Its id (a sequence on SQL, random below 2^53 on DynamoDB).
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its owner's subject.
    pub owner: String,
    /// Its version, the entity tag an `If-Match` compares.
    pub version: i64,
    /// Whether it is archived: every update then answers 409 `archived`.
    pub archived: bool,
    /// What the caller may do with it: `owner`, `write` or `read` (a share); absent when the
    /// answer gave the item away.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<&'static str>,
}

/// An item as every statement selects it, with the caller's share of it: `id, title,
/// owner_id, version, archived, can_write`, the flags as 0 or 1 (the one boolean every
/// backend returns alike); `can_write` is 0 when the item is not shared with the caller.
pub type ItemRow = (i64, String, String, i64, i64, i64);

impl Item {
    /// The item of `row` as `caller` sees it.
    pub fn new(row: ItemRow, caller: &str) -> Self {
        let (id, title, owner, version, archived, can_write) = row;
        let access = if owner == caller {
            "owner"
        } else if can_write == 1 {
            "write"
        } else {
            "read"
        };
        Self {
            id,
            title,
            owner,
            version,
            archived: archived == 1,
            access: Some(access),
        }
    }

    /// The strong entity tag of this version, for `ETag` / `If-Match`.
    pub fn etag(&self) -> HeaderValue {
        HeaderValue::from_str(&format!("\"{}\"", self.version)).expect("digits are a valid header")
    }
}

/// The body of a create or a rename.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitleBody {
    /// The title, checked by [`text`].
    pub title: String,
}

/// The body of a transfer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// The new owner's subject.
    pub to: String,
}

/// The body of a share.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareBody {
    /// Whether the grantee may rename the item, besides reading it.
    pub can_write: bool,
}

/// A non-blank string of at most `MAX_TEXT` characters, or a 422.
pub fn text(value: &str) -> Result<&str, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_TEXT {
        return Err(ApiError::Unprocessable);
    }
    Ok(value)
}

/// The version an `If-Match` header asks for: `None` when absent or `*`.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ApiError::BadHeader)?.trim();
    if value == "*" {
        return Ok(None);
    }
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or(ApiError::BadHeader)
}

/// Everything a handler of the demo can end with.
#[derive(Debug)]
pub enum ApiError {
    /// The guard's own outcome: 401, 400, 404, 403, 409, 412, 503, 500.
    Guarded(guarded::Error),
    /// A malformed `If-Match`: 400.
    BadHeader,
    /// A body that is not the JSON we take: its status (400, 413, 415, 422).
    Body(StatusCode),
    /// A well-formed body whose values are not acceptable: 422.
    Unprocessable,
    /// No such route: 404.
    NoRoute,
}

impl From<guarded::Error> for ApiError {
    fn from(e: guarded::Error) -> Self {
        Self::Guarded(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            Self::Guarded(e) => return e.into_response(),
            Self::BadHeader => (StatusCode::BAD_REQUEST, "bad_if_match"),
            Self::Body(status) => (status, body_code(status)),
            Self::Unprocessable => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_value"),
            Self::NoRoute => (StatusCode::NOT_FOUND, "no_route"),
        };
        problem(status, code)
    }
}

fn body_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "not_json",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        _ => "malformed_body",
    }
}

/// An RFC 9457 problem response, shaped like `guarded::Error`'s own.
fn problem(status: StatusCode, code: &'static str) -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "code": code,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// `axum::Json`, with its rejections (syntax, type, content type, size) as problem+json.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::Body(rejection.status())),
        }
    }
}
