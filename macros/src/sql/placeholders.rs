//! Placeholders: numbering the user's values by their position in the source, and numbering
//! the final statement after the predicate is injected.
//!
//! Each user placeholder is replaced in the AST by a marker naming its value's index, and the
//! subject by another marker; after rendering, one scan of the text puts the dialect's
//! placeholders back and reads off the order in which values must be bound. Working on the
//! rendered text means the bind order is the order the database sees, whatever the printer
//! does with clause order.

use std::fmt::Write as _;
use std::ops::ControlFlow;

use sqlparser::ast::{Statement, Value, ValueWithSpan, VisitMut, VisitorMut};

use super::{Bind, Dialect, parse};

pub const SUBJECT: &str = "__guarded_subject__";
const USER: &str = "__guarded_u";

/// How the statement numbers its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `?`: values bound in textual order.
    Positional,
    /// `$N` or `?NNN`: values bound by number.
    Numbered(char),
}

/// What marking found.
pub struct Marked {
    pub style: Style,
    pub user_params: usize,
}

/// Replaces every user placeholder with a marker of its value's index. `lexed` are the
/// placeholders of the text the statement was parsed from: they must all be in the AST, so no
/// value can hide where the markers do not reach.
pub fn mark(
    statement: &mut Statement,
    lexed: &[String],
    dialect: Dialect,
) -> Result<Marked, String> {
    let mut found: Vec<(u64, u64, String)> = Vec::new();
    let _ = statement.visit(&mut Visit(|v: &mut ValueWithSpan| {
        if let Value::Placeholder(p) = &v.value {
            found.push((v.span.start.line, v.span.start.column, p.clone()));
        }
    }));
    found.sort();
    let style = style_of(found.iter().map(|(.., p)| p.as_str()), dialect)?;
    style_of(lexed.iter().map(String::as_str), dialect)?;
    let located = found.iter().all(|(line, ..)| *line > 0);
    if !located || lexed.len() != found.len() {
        return Err("cannot locate every placeholder of this statement; simplify it".into());
    }
    let mut indices = std::collections::HashMap::new();
    let mut user_params = 0;
    for (rank, (line, column, text)) in found.iter().enumerate() {
        let index = match style {
            Style::Positional => rank,
            Style::Numbered(_) => number(text)? - 1,
        };
        user_params = user_params.max(index + 1);
        indices.insert((*line, *column), index);
    }
    let _ = statement.visit(&mut Visit(|v: &mut ValueWithSpan| {
        let at = (v.span.start.line, v.span.start.column);
        if let (Value::Placeholder(_), Some(index)) = (&v.value, indices.get(&at)) {
            v.value = Value::Placeholder(format!("{USER}{index}__"));
        }
    }));
    Ok(Marked { style, user_params })
}

/// Calls a closure on every value of a statement.
struct Visit<F>(F);

impl<F: FnMut(&mut ValueWithSpan)> VisitorMut for Visit<F> {
    type Break = ();
    fn pre_visit_value(&mut self, value: &mut ValueWithSpan) -> ControlFlow<()> {
        (self.0)(value);
        ControlFlow::Continue(())
    }
}

fn number(text: &str) -> Result<usize, String> {
    text[1..]
        .parse::<usize>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("`{text}` is not a valid placeholder number"))
}

fn style_of<'a>(texts: impl Iterator<Item = &'a str>, dialect: Dialect) -> Result<Style, String> {
    let mut style = None;
    for text in texts {
        let this = match (dialect, text.as_bytes()) {
            (Dialect::Postgres, [b'$', rest @ ..]) if is_digits(rest) => Style::Numbered('$'),
            (Dialect::MySql | Dialect::Sqlite, b"?") => Style::Positional,
            (Dialect::Sqlite, [b'?', rest @ ..]) if is_digits(rest) => Style::Numbered('?'),
            _ => return Err(wrong_placeholder(text, dialect)),
        };
        if style.is_some_and(|s| s != this) {
            return Err("do not mix `?` and `?NNN` placeholders in one statement".into());
        }
        style = Some(this);
    }
    Ok(style.unwrap_or(match dialect {
        Dialect::Postgres => Style::Numbered('$'),
        Dialect::MySql | Dialect::Sqlite => Style::Positional,
    }))
}

fn is_digits(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit)
}

fn wrong_placeholder(text: &str, dialect: Dialect) -> String {
    let expected = match dialect {
        Dialect::Postgres => "PostgreSQL placeholders are `$1`, `$2`, ...",
        Dialect::MySql => "MySQL placeholders are `?`",
        Dialect::Sqlite => "SQLite placeholders here are `?` or `?1`, `?2`, ... (no named ones)",
    };
    format!("placeholder `{text}` is not supported: {expected}")
}

/// One marker found in rendered text.
enum Marker {
    User(usize),
    Subject,
}

/// Splits rendered text around its markers.
fn scan(text: &str) -> Vec<(std::ops::Range<usize>, Marker)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(offset) = text[at..].find("__guarded_") {
        let start = at + offset;
        let rest = &text[start..];
        if rest.starts_with(SUBJECT) {
            out.push((start..start + SUBJECT.len(), Marker::Subject));
            at = start + SUBJECT.len();
        } else if let Some(tail) = rest.strip_prefix(USER) {
            let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
            let index = tail[..digits].parse().unwrap_or(usize::MAX);
            let end = start + USER.len() + digits + "__".len();
            out.push((start..end, Marker::User(index)));
            at = end;
        } else {
            at = start + 1;
        }
    }
    out
}

/// Puts the dialect's placeholders back and returns the binds in order. The result is lexed
/// again: every placeholder in it must be one this function wrote.
pub fn finish(
    text: &str,
    marked: &Marked,
    dialect: Dialect,
) -> Result<(String, Vec<Bind>), String> {
    let (sql, binds, written) = render(text, marked);
    if parse::placeholders(&sql, dialect)?.len() != written {
        return Err(
            "the rewritten statement has placeholders the guard did not write; \
                    simplify the statement"
                .into(),
        );
    }
    Ok((sql, binds))
}

fn render(text: &str, marked: &Marked) -> (String, Vec<Bind>, usize) {
    let mut sql = String::with_capacity(text.len());
    let mut positional = Vec::new();
    let mut subject = false;
    let mut last = 0;
    let markers = scan(text);
    let written = markers.len();
    for (range, marker) in markers {
        sql.push_str(&text[last..range.start]);
        last = range.end;
        match (marked.style, marker) {
            (Style::Positional, Marker::User(i)) => {
                sql.push('?');
                positional.push(Bind::User(i));
            }
            (Style::Positional, Marker::Subject) => {
                sql.push('?');
                positional.push(Bind::Subject);
            }
            (Style::Numbered(prefix), Marker::User(i)) => {
                let _ = write!(sql, "{prefix}{}", i + 1);
            }
            (Style::Numbered(prefix), Marker::Subject) => {
                subject = true;
                let _ = write!(sql, "{prefix}{}", marked.user_params + 1);
            }
        }
    }
    sql.push_str(&text[last..]);
    let binds = match marked.style {
        Style::Positional => positional,
        Style::Numbered(_) => (0..marked.user_params)
            .map(Bind::User)
            .chain(subject.then_some(Bind::Subject))
            .collect(),
    };
    (sql, binds, written)
}

/// Like [`finish`] for a statement binding a subset of the user's values: numbered
/// placeholders are renumbered from 1, and the returned indices say which values to bind.
pub fn compact(text: &str, marked: &Marked) -> (String, Vec<usize>) {
    let mut sql = String::with_capacity(text.len());
    let mut binds: Vec<usize> = Vec::new();
    let mut last = 0;
    for (range, marker) in scan(text) {
        sql.push_str(&text[last..range.start]);
        last = range.end;
        let Marker::User(i) = marker else { continue };
        match marked.style {
            Style::Positional => {
                sql.push('?');
                binds.push(i);
            }
            Style::Numbered(prefix) => {
                let n = binds.iter().position(|b| *b == i).unwrap_or_else(|| {
                    binds.push(i);
                    binds.len() - 1
                });
                let _ = write!(sql, "{prefix}{}", n + 1);
            }
        }
    }
    sql.push_str(&text[last..]);
    (sql, binds)
}
