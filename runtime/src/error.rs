//! `guarded::Error` and its HTTP response (RFC 9457 problem details, RFC 6750 challenges).

use axum_core::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::jwt::{TokenCode, TokenError};

/// How a denial is reported: 404 hides whether the row exists; 403 says it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deny {
    /// Not yours or not there, indistinguishably (the default).
    NotFound,
    /// It exists and is not yours (`deny = 403`).
    Forbidden,
}

/// Everything a guarded fn can end with. Converts into a response that never contains SQL,
/// database messages or token contents.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The bearer token is missing or was refused: 401.
    Unauthorized(TokenError),
    /// The request's credentials are malformed (two of them, a token in the query): 400.
    BadRequest(&'static str),
    /// The statement's ownership predicate matched no row: 404, or 403 when asked.
    Denied(Deny),
    /// The row is the caller's to write, but a named condition of the policy (a state such as
    /// `archived`) refused the write: 409, its name as the code. Classified after the
    /// statement decided, in its transaction.
    Conflict(&'static str),
    /// The row is the caller's to write, but the version the statement compared (`If-Match`)
    /// is no longer the row's: 412. Classified like [`Error::Conflict`].
    PreconditionFailed,
    /// The database is unreachable, busy or the pool is exhausted: 503.
    Unavailable(sqlx::Error),
    /// Any other database error: 500, but 404 `not_found` for sqlx's `RowNotFound` (a
    /// `fetch_one` of rows no ownership predicate decides, such as another table's, found
    /// none: the app's not-found, never a denial). A constraint the database enforces shows
    /// through [`Error::constraint_violation`].
    Database(sqlx::Error),
    /// A DynamoDB request failed (feature `dynamodb`): 503 with `Retry-After` when a retry may
    /// cure it (throttling, a transaction conflict, no answer), else 500.
    #[cfg(feature = "dynamodb")]
    DynamoDb(crate::dynamo::DynamoError),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unauthorized(e) => write!(f, "{e}"),
            Self::BadRequest(code) => write!(f, "bad request ({code})"),
            Self::Denied(Deny::NotFound) => f.write_str("not found"),
            Self::Denied(Deny::Forbidden) => f.write_str("forbidden"),
            Self::Conflict(code) => write!(f, "conflict ({code})"),
            Self::PreconditionFailed => f.write_str("precondition failed"),
            Self::Unavailable(e) => write!(f, "database unavailable: {e}"),
            Self::Database(e) => write!(f, "database error: {e}"),
            #[cfg(feature = "dynamodb")]
            Self::DynamoDb(e) => write!(f, "DynamoDB error: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Unauthorized(e) => Some(e),
            Self::Unavailable(e) | Self::Database(e) => Some(e),
            #[cfg(feature = "dynamodb")]
            Self::DynamoDb(e) => Some(e),
            Self::BadRequest(_)
            | Self::Denied(_)
            | Self::Conflict(_)
            | Self::PreconditionFailed => None,
        }
    }
}

impl From<TokenError> for Error {
    fn from(e: TokenError) -> Self {
        Self::Unauthorized(e)
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            Self::Unavailable(e)
        } else {
            Self::Database(e)
        }
    }
}

/// Errors a retry may cure: no connection, a closed pool, a busy or locked database.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|c| unavailable_code(&c)) || mysql_unavailable(&**db)
        }
        _ => false,
    }
}

/// PostgreSQL and MySQL report five-character SQLSTATEs: class 08 (connection exception),
/// 40 (transaction rollback: a deadlock, a serialization failure), 53 (insufficient
/// resources), 57 (operator intervention: a statement over `statement_timeout`, a server
/// shutting down) and PostgreSQL's 55P03 (a lock not available in time) are worth a retry.
/// SQLite reports its (extended) result code: primary codes 5 (`BUSY`) and 6 (`LOCKED`).
fn unavailable_code(code: &str) -> bool {
    if code.len() == 5 {
        return code == "55P03"
            || ["08", "40", "53", "57"]
                .iter()
                .any(|class| code.starts_with(class));
    }
    code.parse::<u32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
}

/// MySQL and MariaDB report a lock wait over `innodb_lock_wait_timeout` (1205) and a statement
/// over its time limit (MariaDB's `max_statement_time`, 1969; MySQL's `max_execution_time`,
/// 3024) under SQLSTATEs shared with errors that are not worth a retry (HY000, 70100): their
/// error numbers tell.
#[cfg(feature = "mysql")]
fn mysql_unavailable(db: &dyn sqlx::error::DatabaseError) -> bool {
    db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        .is_some_and(|e| matches!(e.number(), 1205 | 1969 | 3024))
}

#[cfg(not(feature = "mysql"))]
fn mysql_unavailable(_: &dyn sqlx::error::DatabaseError) -> bool {
    false
}

impl Error {
    /// The HTTP status this error maps to.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            // The verifier's keys are at fault, not the caller's token: a new one would fare
            // no better, so no challenge asks for it.
            Self::Unauthorized(e) if e.kind() == TokenCode::KeysUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Denied(Deny::NotFound) | Self::Database(sqlx::Error::RowNotFound) => {
                StatusCode::NOT_FOUND
            }
            Self::Denied(Deny::Forbidden) => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
            #[cfg(feature = "dynamodb")]
            Self::DynamoDb(e) if e.retryable() => StatusCode::SERVICE_UNAVAILABLE,
            #[cfg(feature = "dynamodb")]
            Self::DynamoDb(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short code safe to show a client; never SQL, database text or token contents.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized(e) => e.code(),
            Self::BadRequest(code) | Self::Conflict(code) => code,
            Self::Denied(Deny::NotFound) | Self::Database(sqlx::Error::RowNotFound) => "not_found",
            Self::Denied(Deny::Forbidden) => "forbidden",
            Self::PreconditionFailed => "precondition_failed",
            Self::Unavailable(_) => "unavailable",
            Self::Database(_) => "internal",
            #[cfg(feature = "dynamodb")]
            Self::DynamoDb(e) if e.retryable() => "unavailable",
            #[cfg(feature = "dynamodb")]
            Self::DynamoDb(_) => "internal",
        }
    }
}

/// The database error behind an [`Error`], for an app that answers some of them itself: a
/// unique violation as 409 or 422, a foreign key as 404, sqlx's `RowNotFound` as its own 404.
impl Error {
    /// The sqlx error behind this one (a database's refusal, a lost connection,
    /// `RowNotFound`); `None` for the guard's own outcomes (401, 400, 404, 409, 412).
    #[must_use]
    pub fn as_sqlx(&self) -> Option<&sqlx::Error> {
        match self {
            Self::Unavailable(e) | Self::Database(e) => Some(e),
            _ => None,
        }
    }

    /// The sqlx error behind this one, for code written against `sqlx::Error`
    /// (`.map_err(|e| e.into_sqlx().map_or_else(AppError::from, AppError::from_sqlx))`);
    /// the guard's own outcomes come back as they are.
    pub fn into_sqlx(self) -> Result<sqlx::Error, Self> {
        match self {
            Self::Unavailable(e) | Self::Database(e) => Ok(e),
            other => Err(other),
        }
    }

    /// The database's own report (its code, message, constraint and table), when the
    /// database refused the statement.
    #[must_use]
    pub fn as_database_error(&self) -> Option<&(dyn sqlx::error::DatabaseError + 'static)> {
        match self.as_sqlx()? {
            sqlx::Error::Database(e) => Some(&**e),
            _ => None,
        }
    }

    /// Which constraint kind the database refused the statement for (unique, foreign key,
    /// not null, check), on every backend alike; `None` for anything else.
    ///
    /// ```
    /// # use guarded_runtime::Error;
    /// use sqlx::error::ErrorKind;
    ///
    /// enum AppError {
    ///     Taken,
    ///     NoSuchParent,
    ///     Guarded(Error),
    /// }
    ///
    /// impl From<Error> for AppError {
    ///     fn from(e: Error) -> Self {
    ///         match e.constraint_violation() {
    ///             Some(ErrorKind::UniqueViolation) => Self::Taken,
    ///             Some(ErrorKind::ForeignKeyViolation) => Self::NoSuchParent,
    ///             _ => Self::Guarded(e),
    ///         }
    ///     }
    /// }
    /// ```
    #[must_use]
    pub fn constraint_violation(&self) -> Option<sqlx::error::ErrorKind> {
        let kind = self.as_database_error()?.kind();
        (!matches!(kind, sqlx::error::ErrorKind::Other)).then_some(kind)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Database(e) | Self::Unavailable(e) = &self
            && !matches!(e, sqlx::Error::RowNotFound)
        {
            tracing::error!(error = %e, "guarded: database error");
        }
        #[cfg(feature = "dynamodb")]
        if let Self::DynamoDb(e) = &self {
            tracing::error!(error = %e, "guarded: DynamoDB error");
        }
        let body = serde_json::json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "code": self.code(),
        });
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match &self {
            _ if status == StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            // RFC 6750 §3: the challenge of the transport the token came by (see `TokenError`).
            // A 400 carries none: its cause (two credentials, a token in the query) is no
            // scheme's, and §3.1 does not require one.
            Self::Unauthorized(e) => {
                if let Some(value) = e.challenge().and_then(|c| HeaderValue::from_str(&c).ok()) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_unavailable_is_the_servers_fault() {
        let error = Error::from(TokenError::new(TokenCode::KeysUnavailable));
        assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error.code(), "keys_unavailable");
        let response = error.into_response();
        assert!(!response.headers().contains_key(header::WWW_AUTHENTICATE));
        assert!(response.headers().contains_key(header::RETRY_AFTER));
        let expired = Error::from(TokenError::new(TokenCode::Expired));
        assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn retryable_codes_are_told_from_the_rest() {
        for code in [
            "08006", "40001", "40P01", "53300", "57014", "57P01", "55P03", "5", "261", "6",
        ] {
            assert!(unavailable_code(code), "{code}");
        }
        for code in [
            "23505", "23503", "42601", "55000", "HY000", "19", "2067", "1",
        ] {
            assert!(!unavailable_code(code), "{code}");
        }
    }
}
