//! What a guarded fn returns: a `Result` whose error a denial converts into.

use crate::Error;

/// The return type of a `#[guarded]` fn: `Result<T, E>` with `E: From<guarded::Error>`, through
/// any alias. One trait instead of a syntactic check, so that `AppResult<T>` works and a wrong
/// type is told once, under the fn's return type.
#[diagnostic::on_unimplemented(
    message = "#[guarded] fns return `Result<T, E>` with `E: From<guarded::Error>`, so a denied \
               statement can end them; `{Self}` is not such a type",
    label = "return a `Result<_, E>` whose `E` implements `From<guarded::Error>`"
)]
pub trait Ending: Sized {
    /// The success value.
    type Value;
    /// The error, which a denial converts into.
    type Failure: From<Error>;

    /// The fn's own outcome, to settle.
    fn into_result(self) -> Result<Self::Value, Self::Failure>;

    /// Back into the fn's return type.
    fn from_result(result: Result<Self::Value, Self::Failure>) -> Self;

    /// The fn ends with `error`.
    fn fail(error: Error) -> Self {
        Self::from_result(Err(Self::Failure::from(error)))
    }
}

impl<T, E: From<Error>> Ending for Result<T, E> {
    type Value = T;
    type Failure = E;

    fn into_result(self) -> Self {
        self
    }

    fn from_result(result: Self) -> Self {
        result
    }
}
