//! The check that makes splicing safe: the spliced text is lexed and parsed again, in every
//! mode of the database, and must be exactly the guarded statement the injector built, with
//! each placeholder where the bind order says. A clause located wrongly, an insertion that
//! lands in a string or a comment, or tokens that merge, all fail here, at compile time.

use std::ops::ControlFlow;

use sqlparser::ast::{Statement, Value, ValueWithSpan, Visit, Visitor};

use super::placeholders::{self, Params, Style};
use super::splice::Spliced;
use super::{Bind, Dialect, parse};

const NOT_SPLICED: &str = "the guard could not place its predicate in this statement as \
    written (please report it); write the statement more plainly";

/// Every placeholder the parser read is one the lexer read: none hides where the bind order
/// does not look (SQLite's `:name`, say).
pub fn placeholders_parsed(statement: &Statement, lexed: usize) -> Result<(), String> {
    if count_placeholders(statement) != lexed {
        return Err(
            "cannot account for every placeholder of this statement; use the \
                    dialect's own (`$1`, `?`)"
                .into(),
        );
    }
    Ok(())
}

fn count_placeholders(statement: &Statement) -> usize {
    struct Count(usize);
    impl Visitor for Count {
        type Break = ();
        fn pre_visit_value(&mut self, value: &ValueWithSpan) -> ControlFlow<()> {
            if matches!(value.value, Value::Placeholder(_)) {
                self.0 += 1;
            }
            ControlFlow::Continue(())
        }
    }
    let mut count = Count(0);
    let _ = statement.visit(&mut count);
    count.0
}

/// The spliced statement reads as `expected`, with its placeholders where `binds` says: the
/// user's (`user`, read from the user's text, at `user_at` in the spliced one) where they
/// were, and the guard's numbered after them.
pub fn spliced(
    spliced: &Spliced,
    binds: &[(Option<usize>, Bind)],
    expected: &Statement,
    dialect: Dialect,
    user: &Params,
    user_at: &[usize],
) -> Result<(), String> {
    let (source, statement) =
        parse::parse_spliced(&spliced.sql, dialect).map_err(|_| NOT_SPLICED)?;
    if statement != *expected {
        return Err(NOT_SPLICED.into());
    }
    if user.mixed() {
        let (at, numbers) = placeholders::read_mixed(&source).map_err(|_| NOT_SPLICED)?;
        let guard = user.count + 1..=binds.len();
        let consistent = at == user_at
            && user.count == user.at.len()
            && numbers.iter().all(|n| guard.contains(n))
            && count_placeholders(&statement) == at.len() + numbers.len();
        return if consistent {
            Ok(())
        } else {
            Err(NOT_SPLICED.into())
        };
    }
    let params = placeholders::read(&source, dialect).map_err(|_| NOT_SPLICED)?;
    let consistent = match params.style {
        Style::Positional => params
            .at
            .iter()
            .map(|(at, _)| Some(*at))
            .eq(binds.iter().map(|(at, _)| *at)),
        Style::Numbered(_) => params.count == binds.len(),
    };
    if !consistent || count_placeholders(&statement) != params.at.len() {
        return Err(NOT_SPLICED.into());
    }
    Ok(())
}
