//! A failed DynamoDB request, and whether a retry may cure it.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// Error codes a retry may cure: throttling, a conflicting transaction, the service's own
/// failure.
const RETRYABLE: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "TransactionConflictException",
    "TransactionInProgressException",
    "InternalServerError",
    "ServiceUnavailable",
];

/// A DynamoDB request that failed for a reason other than the guard's condition.
#[derive(Debug)]
pub struct DynamoError {
    retryable: bool,
    /// The request went out and no answer came back: it may have been written.
    unanswered: bool,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl DynamoError {
    /// Whether a retry may cure it (the response is then 503 with `Retry-After`).
    pub fn retryable(&self) -> bool {
        self.retryable
    }

    /// Whether the request went out and no answer came back, so it may have been written: a
    /// write the database answered (a refusal, a service error) or never received wrote
    /// nothing.
    pub(crate) fn unanswered(&self) -> bool {
        self.unanswered
    }

    /// The SDK's error.
    pub fn source(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.source
    }

    /// A request the guard refuses to send (a table it does not guard, a legacy parameter).
    pub(crate) fn refused(why: String) -> Self {
        Self {
            retryable: false,
            unanswered: false,
            source: why.into(),
        }
    }

    pub(crate) fn sdk<E, R>(e: SdkError<E, R>) -> Self
    where
        E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let retryable = match &e {
            SdkError::DispatchFailure(_)
            | SdkError::TimeoutError(_)
            | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(service) => service
                .err()
                .code()
                .is_some_and(|code| RETRYABLE.contains(&code)),
            _ => false,
        };
        let unanswered = !matches!(
            e,
            SdkError::ServiceError(_) | SdkError::ConstructionFailure(_)
        );
        Self {
            retryable,
            unanswered,
            source: Box::new(e),
        }
    }
}

impl std::fmt::Display for DynamoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SDK's Display says only "service error"; the code and message are in the source.
        write!(
            f,
            "{}",
            aws_sdk_dynamodb::error::DisplayErrorContext(&*self.source)
        )
    }
}

impl std::error::Error for DynamoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

impl From<DynamoError> for crate::Error {
    fn from(e: DynamoError) -> Self {
        Self::DynamoDb(e)
    }
}
