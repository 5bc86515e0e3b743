//! Lexing SQL text the way the database will, in every mode the database may be in.
//!
//! The statement that runs is the user's text plus insertions (see `splice`), so the one thing
//! the guard must get right about the text is where its tokens begin and end: an insertion
//! that the database reads as part of a string or a comment guards nothing. A server's
//! settings change that reading — MySQL's `NO_BACKSLASH_ESCAPES` and `ANSI_QUOTES`,
//! PostgreSQL's `standard_conforming_strings` — and the macro cannot know them. So the text is
//! lexed once per mode, and a statement whose token boundaries differ between modes is
//! refused: whatever the server's settings, it reads the tokens the guard placed its
//! insertions between.

use std::any::TypeId;

use sqlparser::dialect::{self, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Whitespace};

use super::Dialect;

/// One token of the text, with its byte range.
#[derive(Debug, Clone)]
pub struct Tok {
    pub token: Token,
    pub start: usize,
    pub end: usize,
}

/// A statement's text and its tokens, as the database reads them.
pub struct Source<'a> {
    pub text: &'a str,
    /// Every token, whitespace and comments included, in the default mode: what the parser
    /// reads.
    pub spanned: Vec<TokenWithSpan>,
    /// The tokens that are not whitespace or comments, with byte ranges.
    pub toks: Vec<Tok>,
    /// Each line (line 1 at index 0): where it starts and ends (its newline, or the text's
    /// end), and whether it is ASCII (then a column is a byte count, and finding it costs
    /// nothing).
    lines: Vec<Line>,
}

#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    ascii: bool,
}

/// The text's lines, found in one pass.
fn lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for end in text
        .match_indices('\n')
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
    {
        lines.push(Line {
            start,
            end,
            ascii: text.as_bytes()[start..end].is_ascii(),
        });
        start = end + 1;
    }
    lines
}

/// How the database may read the text: the default mode first.
fn modes(dialect: Dialect) -> Vec<Mode> {
    let base = Mode {
        dialect,
        backslash: false,
        double_quote_ident: true,
    };
    match dialect {
        // `standard_conforming_strings` on (the default since 9.1), then off.
        Dialect::Postgres => vec![
            base,
            Mode {
                backslash: true,
                ..base
            },
        ],
        // Backslash escapes on and `"` a string (the defaults), then NO_BACKSLASH_ESCAPES,
        // then ANSI_QUOTES (`"` quotes an identifier, which has no escapes).
        Dialect::MySql => {
            let default = Mode {
                backslash: true,
                double_quote_ident: false,
                ..base
            };
            vec![
                default,
                Mode {
                    backslash: false,
                    ..default
                },
                Mode {
                    double_quote_ident: true,
                    ..default
                },
            ]
        }
        Dialect::Sqlite => vec![base],
    }
}

/// Lexes `text` in every mode of `dialect`; refuses text the modes read differently and the
/// comments some database executes.
pub fn lex(text: &str, dialect: Dialect) -> Result<Source<'_>, String> {
    let mut modes = modes(dialect);
    // The modes differ only in how they read a backslash and a `"`: without either, they
    // read the text alike, and lexing it again would only cost compile time.
    if !text.contains(['\\', '"']) {
        modes.truncate(1);
    }
    lex_in(text, dialect, modes)
}

/// Lexes the guard's own splice of a text `lex` accepted, in the default mode only: its
/// insertions sit between tokens every mode reads alike and are made of tokens no mode reads
/// differently (names, `.`, `=`, parentheses, placeholders), so the other modes would only
/// repeat the default's reading.
pub fn lex_spliced(text: &str, dialect: Dialect) -> Result<Source<'_>, String> {
    lex_in(text, dialect, modes(dialect).into_iter().take(1).collect())
}

fn lex_in(text: &str, dialect: Dialect, modes: Vec<Mode>) -> Result<Source<'_>, String> {
    let mut lexed = modes.into_iter().map(|mode| {
        Tokenizer::new(&mode, text)
            .tokenize_with_location()
            .map_err(|e| format!("this SQL does not lex: {}", e.message))
    });
    let spanned = lexed.next().expect("every dialect has a default mode")?;
    let mut source = Source {
        text,
        spanned: Vec::new(),
        toks: Vec::new(),
        lines: lines(text),
    };
    // Each token's byte range, found once: the shape, the misreadings and the significant
    // tokens all read it.
    let ranges = source.ranges(&spanned)?;
    for other in lexed {
        // Text another mode cannot even lex reads differently in that mode.
        let other = other.map_err(|_| AMBIGUOUS.to_owned())?;
        if !source.same_shape(&spanned, &ranges, &other)? {
            return Err(AMBIGUOUS.into());
        }
    }
    refuse_executable_comments(&spanned, dialect)?;
    source.refuse_misreadings(&spanned, &ranges, dialect)?;
    source.toks = significant(&spanned, &ranges);
    source.spanned = spanned;
    Ok(source)
}

const AMBIGUOUS: &str = "this SQL reads differently depending on the server's settings (a \
    backslash in a string: MySQL's NO_BACKSLASH_ESCAPES, PostgreSQL's \
    standard_conforming_strings; or `\"` under ANSI_QUOTES), so the guard cannot tell where \
    its strings end; double a quote to escape it (`''`), or use E'...' on PostgreSQL";

/// What a token is to the guard. A quoted string and a quoted identifier are alike here:
/// MySQL's `ANSI_QUOTES` turns one into the other without moving any boundary, and the parser
/// refuses a string where a table name must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blank,
    Quoted,
    Other(std::mem::Discriminant<Token>),
}

fn kind(token: &Token) -> Kind {
    match token {
        Token::Whitespace(_) => Kind::Blank,
        Token::Word(w) if w.quote_style.is_some() => Kind::Quoted,
        Token::SingleQuotedString(_) | Token::DoubleQuotedString(_) => Kind::Quoted,
        other => Kind::Other(std::mem::discriminant(other)),
    }
}

impl Source<'_> {
    /// The byte offset of a location the lexer or the parser reported.
    pub fn offset(&self, at: Location) -> Option<usize> {
        let line = usize::try_from(at.line).ok()?.checked_sub(1)?;
        let column = usize::try_from(at.column).ok()?.checked_sub(1)?;
        let Line { start, end, ascii } = *self.lines.get(line)?;
        if ascii {
            // A column one past the line's end is the newline's offset (or the text's end).
            return (column <= end - start).then_some(start + column);
        }
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(column)
            .map(|(i, _)| start + i)
            .or_else(|| (rest.chars().count() == column).then_some(self.text.len()))
    }

    fn range(&self, token: &TokenWithSpan) -> Result<(usize, usize), String> {
        match (self.offset(token.span.start), self.offset(token.span.end)) {
            (Some(start), Some(end)) if start <= end => Ok((start, end)),
            _ => Err("cannot locate a token of this statement; simplify it".into()),
        }
    }

    /// The byte range of each token but the end of the text.
    fn ranges(&self, tokens: &[TokenWithSpan]) -> Result<Vec<(usize, usize)>, String> {
        tokens
            .iter()
            .filter(|t| !matches!(t.token, Token::EOF))
            .map(|t| self.range(t))
            .collect()
    }

    /// Whether `other`, another mode's reading, starts and ends each token where `tokens`
    /// (at `ranges`) does, each of the same kind.
    fn same_shape(
        &self,
        tokens: &[TokenWithSpan],
        ranges: &[(usize, usize)],
        other: &[TokenWithSpan],
    ) -> Result<bool, String> {
        let shape = |tokens: &[TokenWithSpan]| -> Vec<Kind> {
            tokens
                .iter()
                .filter(|t| !matches!(t.token, Token::EOF))
                .map(|t| kind(&t.token))
                .collect()
        };
        Ok(self.ranges(other)? == ranges && shape(other) == shape(tokens))
    }
}

/// The tokens that are not whitespace or comments, with their byte ranges.
fn significant(tokens: &[TokenWithSpan], ranges: &[(usize, usize)]) -> Vec<Tok> {
    tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::EOF))
        .zip(ranges)
        .filter(|(t, _)| !matches!(t.token, Token::Whitespace(_)))
        .map(|(t, &(start, end))| Tok {
            token: t.token.clone(),
            start,
            end,
        })
        .collect()
}

impl Source<'_> {
    /// Refuses every form where sqlparser's tokenizer and a server's lexer can end a token in
    /// different places, or read a different kind of token: the servers take only ASCII
    /// whitespace for a space and any other non-ASCII character for part of a name; MySQL starts
    /// `--` comments only before an ASCII space; each server ends a prefixed string, a bracketed
    /// name and an operator by its own rules. `tests/lexer_differential.rs` compares the two
    /// readings on the servers.
    fn refuse_misreadings(
        &self,
        tokens: &[TokenWithSpan],
        ranges: &[(usize, usize)],
        dialect: Dialect,
    ) -> Result<(), String> {
        if self.text.contains('\0') {
            return Err(
                "this SQL holds a NUL character, where some servers end the text; \
                remove it"
                    .into(),
            );
        }
        let tokens = tokens.iter().filter(|t| !matches!(t.token, Token::EOF));
        for (token, &(start, end)) in tokens.zip(ranges) {
            misread(
                &token.token,
                &self.text[start..end],
                &self.text[end..],
                dialect,
            )?;
        }
        Ok(())
    }
}

/// Why `token` (its text `src`, followed by `after`) may read differently on `dialect`'s
/// server, if it may.
fn misread(token: &Token, src: &str, after: &str, dialect: Dialect) -> Result<(), String> {
    match token {
        Token::Whitespace(Whitespace::SingleLineComment { prefix, .. })
            if dialect == Dialect::MySql
                && prefix == "--"
                && !src[2..].starts_with([' ', '\t', '\n', '\r'])
                && !(src.len() == 2 && after.starts_with(['\n', '\r'])) =>
        {
            Err(MYSQL_DASHES.into())
        }
        Token::Minus if dialect == Dialect::MySql && after == "-" => Err(MYSQL_DASHES.into()),
        Token::Whitespace(
            Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_),
        ) => Ok(()),
        Token::Word(w) if w.quote_style == Some('[') && body_of(src).contains(']') => Err(
            "SQLite ends a `[name]` at its first `]`; quote the name with `\"...\"` instead".into(),
        ),
        Token::Word(w) if w.quote_style.is_some() => Ok(()),
        Token::Word(w)
            if matches!(dialect, Dialect::MySql | Dialect::Postgres) && after.starts_with('"') =>
        {
            Err(format!(
                "`{0}\"...\"` reads differently on the server (MySQL and PostgreSQL read a name \
                 or an introducer, then a `\"...\"` string or name, with its own escapes); put \
                 a space before `\"`, or use single quotes: {0}'...'",
                w.value
            ))
        }
        Token::Word(w)
            if dialect == Dialect::Postgres
                && w.value.eq_ignore_ascii_case("u")
                && after.starts_with("&\"") =>
        {
            Err("PostgreSQL reads `U&\"...\"` as one name with escapes; write it as \"...\"".into())
        }
        Token::Word(w)
            if dialect == Dialect::MySql
                && w.quote_style.is_none()
                && w.value.trim_start_matches('@').contains('@') =>
        {
            Err(format!(
                "MySQL ends a name before `@`, the guard reads `{}` as one name; quote the name \
                 with backquotes",
                w.value
            ))
        }
        Token::CustomBinaryOperator(op) if splits(op) => Err(format!(
            "PostgreSQL ends the operator `{op}` before a comment start or a trailing sign, the \
             guard does not; put a space after the operator"
        )),
        _ => literal(token, src, dialect).unwrap_or_else(|| ascii(src)),
    }
}

/// Why a string literal may read differently on `dialect`'s server, if it may; `None` when
/// `token` is not a string literal.
fn literal(token: &Token, src: &str, dialect: Dialect) -> Option<Result<(), String>> {
    let body = || src.get(2..src.len() - 1).unwrap_or_default();
    Some(match token {
        Token::NationalStringLiteral(_) if dialect == Dialect::Sqlite => Err(
            "SQLite has no `N'...'` strings: it reads a column `N` and a string; write '...'"
                .into(),
        ),
        Token::HexStringLiteral(_) if !body().bytes().all(|b| b.is_ascii_hexdigit()) => Err(
            "the servers end `X'...'` at its first quote and read only hexadecimal digits in \
             it; write the bytes as hexadecimal digits"
                .into(),
        ),
        Token::SingleQuotedByteStringLiteral(_)
            if !body().bytes().all(|b| b == b'0' || b == b'1') =>
        {
            Err(
                "the servers end `B'...'` at its first quote and read only 0 and 1 in it; \
                 write the bits"
                    .into(),
            )
        }
        Token::DollarQuotedString(d)
            if d.tag
                .as_ref()
                .is_some_and(|t| t.starts_with(|c: char| c.is_ascii_digit())) =>
        {
            Err(
                "PostgreSQL reads `$1$` as the parameter $1 followed by `$`, not as a dollar \
                 quote; start the tag with a letter: $t$...$t$"
                    .into(),
            )
        }
        Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::NationalStringLiteral(_)
        | Token::EscapedStringLiteral(_)
        | Token::UnicodeStringLiteral(_)
        | Token::HexStringLiteral(_)
        | Token::SingleQuotedByteStringLiteral(_)
        | Token::DollarQuotedString(_) => Ok(()),
        Token::DoubleQuotedByteStringLiteral(_) => Err(
            "`B\"...\"` is a bit string to the guard but a name and a `\"...\"` string or name \
             to MySQL and PostgreSQL; write B'...' with single quotes"
                .into(),
        ),
        // The forms of other dialects' tokenizers, which no server here reads alike.
        Token::TripleSingleQuotedString(_)
        | Token::TripleDoubleQuotedString(_)
        | Token::TripleSingleQuotedByteStringLiteral(_)
        | Token::TripleDoubleQuotedByteStringLiteral(_)
        | Token::SingleQuotedRawStringLiteral(_)
        | Token::DoubleQuotedRawStringLiteral(_)
        | Token::TripleSingleQuotedRawStringLiteral(_)
        | Token::TripleDoubleQuotedRawStringLiteral(_)
        | Token::QuoteDelimitedStringLiteral(_)
        | Token::NationalQuoteDelimitedStringLiteral(_) => Err(format!(
            "`{src}` is a string form the server does not read as the guard does; write '...'"
        )),
        _ => return None,
    })
}

/// Outside strings, quoted names and comments the servers read only ASCII as the parser does:
/// they take any other character for part of a name, and only ASCII whitespace for space.
fn ascii(src: &str) -> Result<(), String> {
    let odd = src
        .chars()
        .find(|&c| !c.is_ascii() || (c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r')));
    match odd {
        Some(c) if c.is_ascii() => Err(format!(
            "this SQL holds the control character U+{:04X} outside a string, a quoted name or a \
             comment, which the servers do not read as the guard does (MySQL starts a `--` \
             comment before one); remove it, or write it inside a string",
            u32::from(c)
        )),
        Some(c) => Err(format!(
            "this SQL holds U+{:04X} outside a string, a quoted name or a comment, where the \
             servers do not read it as the guard does (they take any non-ASCII character for \
             part of a name, and only ASCII spaces, tabs and newlines for space); write only \
             ASCII there, and quote a name that needs other characters",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

const MYSQL_DASHES: &str = "MySQL starts a `--` comment only before an ASCII space, tab or \
    newline, so the guard cannot tell whether this one is a comment; write `-- ` with a space \
    for a comment, or `- -` for two minus signs";

/// A quoted token's text without its quotes.
fn body_of(src: &str) -> &str {
    src.get(1..src.len().saturating_sub(1)).unwrap_or_default()
}

/// Whether PostgreSQL splits the operator sqlparser reads as one: its lexer ends an operator
/// before `--` or `/*`, and drops a trailing `+` or `-` unless the operator holds one of
/// ``~!@#%^&|`?``.
fn splits(op: &str) -> bool {
    op.contains("--")
        || op.contains("/*")
        || (op.len() > 1
            && op.ends_with(['+', '-'])
            && !op.contains(['~', '!', '@', '#', '%', '^', '&', '|', '`', '?']))
}

/// MySQL runs the text of `/*! ... */` (MariaDB also `/*M! ... */`) as SQL: a predicate the
/// guard did not see, or one it placed, could hide there.
fn refuse_executable_comments(tokens: &[TokenWithSpan], dialect: Dialect) -> Result<(), String> {
    if dialect != Dialect::MySql {
        return Ok(());
    }
    let executable = tokens.iter().any(|t| {
        matches!(&t.token, Token::Whitespace(Whitespace::MultiLineComment(c))
            if c.starts_with('!') || c.starts_with("M!"))
    });
    if executable {
        return Err(
            "MySQL runs the text of `/*! ... */` comments as SQL; write it as plain \
                    SQL or remove the comment"
                .into(),
        );
    }
    Ok(())
}

/// One way the database may lex: a dialect with its settings.
#[derive(Debug, Clone, Copy)]
struct Mode {
    dialect: Dialect,
    /// A backslash escapes the next character in a `'...'` string.
    backslash: bool,
    /// `"..."` quotes an identifier (else a string).
    double_quote_ident: bool,
}

impl Mode {
    fn inner(self) -> &'static dyn dialect::Dialect {
        match self.dialect {
            Dialect::Postgres => &PostgreSqlDialect {},
            Dialect::MySql => &MySqlDialect {},
            Dialect::Sqlite => &SQLiteDialect {},
        }
    }
}

/// Everything the tokenizer asks of a dialect, answered by the real one except the settings
/// this mode changes.
impl dialect::Dialect for Mode {
    fn dialect(&self) -> TypeId {
        self.inner().dialect()
    }
    fn is_identifier_start(&self, ch: char) -> bool {
        self.inner().is_identifier_start(ch)
    }
    fn is_identifier_part(&self, ch: char) -> bool {
        self.inner().is_identifier_part(ch)
    }
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        if ch == '"' {
            return self.double_quote_ident;
        }
        self.inner().is_delimited_identifier_start(ch)
    }
    fn supports_string_literal_backslash_escape(&self) -> bool {
        self.backslash
    }
    fn ignores_wildcard_escapes(&self) -> bool {
        self.inner().ignores_wildcard_escapes()
    }
    fn is_custom_operator_part(&self, ch: char) -> bool {
        self.inner().is_custom_operator_part(ch)
    }
    fn requires_single_line_comment_whitespace(&self) -> bool {
        self.inner().requires_single_line_comment_whitespace()
    }
    fn supports_dollar_as_money_prefix(&self) -> bool {
        self.inner().supports_dollar_as_money_prefix()
    }
    fn supports_dollar_placeholder(&self) -> bool {
        self.inner().supports_dollar_placeholder()
    }
    fn supports_geometric_types(&self) -> bool {
        self.inner().supports_geometric_types()
    }
    // `/*! ... */` stays one comment token, which `lex` refuses.
    fn supports_multiline_comment_hints(&self) -> bool {
        false
    }
    fn supports_nested_comments(&self) -> bool {
        self.inner().supports_nested_comments()
    }
    fn supports_numeric_literal_underscores(&self) -> bool {
        self.inner().supports_numeric_literal_underscores()
    }
    fn supports_numeric_prefix(&self) -> bool {
        self.inner().supports_numeric_prefix()
    }
    fn supports_pipe_operator(&self) -> bool {
        self.inner().supports_pipe_operator()
    }
    fn supports_quote_delimited_string(&self) -> bool {
        self.inner().supports_quote_delimited_string()
    }
    fn supports_string_escape_constant(&self) -> bool {
        self.inner().supports_string_escape_constant()
    }
    fn supports_triple_quoted_string(&self) -> bool {
        self.inner().supports_triple_quoted_string()
    }
    fn supports_unicode_string_literal(&self) -> bool {
        self.inner().supports_unicode_string_literal()
    }
}
