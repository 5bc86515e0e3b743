//! Placeholders: which value each of the user's placeholders takes, the subject's own, and
//! the order in which the final statement binds them.

use sqlparser::tokenizer::Token;

use super::Dialect;
use super::lex::Source;

/// How the statement numbers its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `?`: values bound in textual order.
    Positional,
    /// `$N` or `?NNN`: values bound by number.
    Numbered(char),
}

/// The user's placeholders.
#[derive(Debug)]
pub struct Params {
    pub style: Style,
    /// How many values the statement expects.
    pub count: usize,
    /// Each placeholder's byte offset in the text and the index of its value (0-based).
    pub at: Vec<(usize, usize)>,
    /// The prefix of the guard's own placeholders, numbered after the user's values (the
    /// subject's first, then each other claim's), so that each value is bound once however
    /// often the predicate compares it; `None` where the database numbers no placeholder
    /// (MySQL), and the guard's are `?` in textual order.
    ///
    /// SQLite numbers the guard's `$N` (a named parameter to SQLite, which takes the next
    /// index at its first use and the same index at every other) after the user's `?`s, and
    /// sqlx binds `$N` to its N-th value and each `?` to the next of the others: the user's
    /// values keep their order, the guard's come after them.
    pub guard: Option<char>,
}

impl Params {
    /// The subject's placeholder text: the next number, or `?`.
    pub fn subject(&self) -> String {
        self.guard_placeholder(0)
    }

    /// The placeholder of the `k`-th claim other than the subject: numbered after the
    /// subject's, or `?`.
    pub fn claim(&self, k: usize) -> String {
        self.guard_placeholder(1 + k)
    }

    fn guard_placeholder(&self, k: usize) -> String {
        match self.guard {
            Some(prefix) => format!("{prefix}{}", self.count + 1 + k),
            None => "?".into(),
        }
    }

    /// The user's placeholders are `?` and the guard's numbered: SQLite's `?` and `$N`.
    pub fn mixed(&self) -> bool {
        self.style == Style::Positional && self.guard.is_some()
    }
}

/// Reads the user's placeholders off the lexed text.
pub fn read(source: &Source<'_>, dialect: Dialect) -> Result<Params, String> {
    refuse_named(source, dialect)?;
    let found: Vec<(usize, &str)> = source
        .toks
        .iter()
        .filter_map(|t| match &t.token {
            Token::Placeholder(p) => Some((t.start, p.as_str())),
            // MySQL lexes `$1` as an identifier; the user meant a PostgreSQL placeholder.
            Token::Word(word) if word.quote_style.is_none() && word.value.starts_with('$') => {
                Some((t.start, word.value.as_str()))
            }
            _ => None,
        })
        .collect();
    let style = style_of(found.iter().map(|(_, p)| *p), dialect)?;
    let mut at = Vec::with_capacity(found.len());
    let mut count = 0;
    for (rank, (offset, text)) in found.iter().enumerate() {
        let index = match style {
            Style::Positional => rank,
            Style::Numbered(_) => number(text)? - 1,
        };
        count = count.max(index + 1);
        at.push((*offset, index));
    }
    let guard = match (style, dialect) {
        (Style::Numbered(prefix), _) => Some(prefix),
        (Style::Positional, Dialect::Sqlite) => Some('$'),
        (Style::Positional, Dialect::MySql | Dialect::Postgres) => None,
    };
    Ok(Params {
        style,
        count,
        at,
        guard,
    })
}

/// The placeholders of a spliced SQLite statement whose user placeholders are `?` and whose
/// guard's are `$N` ([`Params::mixed`]): the offsets of the `?`s, and the guard's numbers.
pub fn read_mixed(source: &Source<'_>) -> Result<(Vec<usize>, Vec<usize>), String> {
    refuse_named(source, Dialect::Sqlite)?;
    let mut user = Vec::new();
    let mut guard = Vec::new();
    for t in &source.toks {
        let text = match &t.token {
            Token::Placeholder(p) => p.as_str(),
            Token::Word(word) if word.quote_style.is_none() && word.value.starts_with('$') => {
                word.value.as_str()
            }
            _ => continue,
        };
        match text.as_bytes() {
            b"?" => user.push(t.start),
            [b'$', rest @ ..] if is_digits(rest) => guard.push(number(text)?),
            _ => return Err(wrong_placeholder(text, Dialect::Sqlite)),
        }
    }
    Ok((user, guard))
}

/// SQLite binds `:name`, `@name` and `$name` as parameters of their own, numbered among the
/// `?`s: a value the guard would not know it shifts.
fn refuse_named(source: &Source<'_>, dialect: Dialect) -> Result<(), String> {
    if dialect != Dialect::Sqlite {
        return Ok(());
    }
    let named = source.toks.windows(2).any(|pair| {
        matches!(pair[0].token, Token::Colon | Token::AtSign)
            && matches!(&pair[1].token, Token::Word(w) if w.quote_style.is_none())
            && pair[0].end == pair[1].start
    }) || source
        .toks
        .iter()
        .any(|t| matches!(&t.token, Token::Word(w) if w.quote_style.is_none() && w.value.starts_with(['@', ':'])));
    if named {
        return Err(wrong_placeholder(":name", dialect));
    }
    Ok(())
}

fn number(text: &str) -> Result<usize, String> {
    text[1..]
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=32_767).contains(n))
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
