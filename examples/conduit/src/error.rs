//! The app's one error type and its format, `RealWorld`'s: `{"errors": {"<field>": ["<why>"]}}`.
//! Guarded routes answer in it too: their guard comes wrapped in `WithRejection<_, AppError>`,
//! and every `guarded::Error` converts into it.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub enum AppError {
    /// No credentials, a refused or a revoked token, a wrong password: 401.
    Unauthorized,
    /// Two credentials at once (a header and the cookie): 400.
    BadRequest,
    /// The row exists and is someone else's: 403 (the routes with `deny = 403`).
    Forbidden,
    /// Not there, or not the caller's: 404.
    NotFound(&'static str),
    /// A value the app does not take: 422, with the field it concerns.
    Invalid(&'static str, &'static str),
    /// A body that is not the JSON the route takes: its status (400, 413, 415, 422).
    Body(StatusCode, String),
    /// The database is down or busy: 503.
    Unavailable,
    /// Anything else: 500, logged here and never shown.
    Internal(String),
}

impl From<guarded::Error> for AppError {
    fn from(e: guarded::Error) -> Self {
        use guarded::{Deny, Error};
        // A unique key the app did not expect here; the routes that expect one map it first.
        if e.constraint_violation().is_some() {
            return Self::Invalid("body", "conflicts with an existing record");
        }
        match e {
            Error::Unauthorized(_) => Self::Unauthorized,
            Error::BadRequest(_) => Self::BadRequest,
            Error::Denied(Deny::Forbidden) => Self::Forbidden,
            Error::Denied(Deny::NotFound) | Error::Database(sqlx::Error::RowNotFound) => {
                Self::NotFound("resource")
            }
            Error::Unavailable(_) => Self::Unavailable,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        guarded::Error::from(e).into()
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        Self::Body(rejection.status(), rejection.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::Body(rejection.status(), rejection.body_text())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, field, why) = match self {
            Self::Unauthorized => {
                let body = json!({"errors": {"token": ["is missing, invalid or revoked"]}});
                return (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Token")],
                    axum::Json(body),
                )
                    .into_response();
            }
            Self::BadRequest => (
                StatusCode::BAD_REQUEST,
                "token",
                "comes both as a header and as a cookie".to_owned(),
            ),
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                "author",
                "is someone else".to_owned(),
            ),
            Self::NotFound(what) => (StatusCode::NOT_FOUND, what, "not found".to_owned()),
            Self::Invalid(field, why) => (StatusCode::UNPROCESSABLE_ENTITY, field, why.to_owned()),
            Self::Body(status, why) => (status, "body", why),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "database",
                "is unavailable, try again".to_owned(),
            ),
            Self::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server",
                    "failed".to_owned(),
                )
            }
        };
        (status, axum::Json(json!({"errors": {field: [why]}}))).into_response()
    }
}
