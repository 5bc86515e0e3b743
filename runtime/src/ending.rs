//! What a guarded fn returns: a `Result` whose error a denial converts into.

use crate::Error;

/// The return type of a `#[guarded]` fn: `Result<T, E>` with `E: From<guarded::Error>`, through
/// any alias. One trait instead of a syntactic check, so that `AppResult<T>` works and a wrong
/// type is told once, under the fn's return type (see [`Ends`]).
#[diagnostic::on_unimplemented(
    message = "#[guarded] fns return `Result<T, E>` with `E: From<guarded::Error>`, so a denied \
               statement can end them; `{Self}` is not such a type",
    label = "return a `Result<_, E>` whose `E` implements `From<guarded::Error>`"
)]
pub trait Ending: Sized {
    /// The fn ends with `error`.
    fn fail(error: Error) -> Self;

    /// Whether the fn succeeded, so its transaction commits.
    fn succeeded(&self) -> bool;
}

impl<T, E: From<Error>> Ending for Result<T, E> {
    fn fail(error: Error) -> Self {
        Err(E::from(error))
    }

    fn succeeded(&self) -> bool {
        self.is_ok()
    }
}

/// How a guarded fn ends, as values: built once, under the fn's return type, by [`ends`].
///
/// Every other place that ends the fn (the scope's `finish`, a `?` on a guarded statement, a
/// claim the policy needs and the token lacks) goes through this witness rather than through
/// an `R: Ending` bound of its own, so a return type that does not qualify is one error at
/// the return type, not one more at every place that would convert a `guarded::Error`.
pub struct Ends<R> {
    fail: fn(Error) -> R,
    succeeded: fn(&R) -> bool,
}

impl<R> Clone for Ends<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for Ends<R> {}

impl<R> Ends<R> {
    /// The fn's return value for `error`, converted by the app's `From<guarded::Error>`.
    pub fn fail(self, error: Error) -> R {
        (self.fail)(error)
    }

    /// Whether `out` is a success, so the fn's transaction commits.
    pub fn succeeded(self, out: &R) -> bool {
        (self.succeeded)(out)
    }
}

/// The witness for `R`: the one place that requires `R: Ending`.
pub fn ends<R: Ending>() -> Ends<R> {
    Ends {
        fail: R::fail,
        succeeded: R::succeeded,
    }
}
