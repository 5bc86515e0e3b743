//! Differential test of token boundaries: where the lexer says a token ends against where
//! each server's own lexer does.
//!
//! Every text is `SELECT <items>` over a derived table with a column for each letter a string
//! prefix is made of (`b`, `x`, `n`, ...) and one named by the separator under test, so that a
//! server reading a prefix or a strange space as a column still runs the text. The lexer's
//! reading predicts the result: one column per comma outside strings and comments, and the
//! value of each item that is a single number. A text the lexer refuses proves nothing and is
//! fine; a text it accepts must give, on every server in every mode it runs in (MySQL's
//! `NO_BACKSLASH_ESCAPES` and `ANSI_QUOTES`, PostgreSQL's `standard_conforming_strings`), that
//! many columns and those numbers when the server runs it (a server's error refuses the text
//! too). The texts are every Unicode space and control character as a separator and after each
//! comment opener, and every string prefix with every quote and a set of bodies that end early
//! or late under one reading or the other. SQLite runs in memory always; PostgreSQL and MariaDB
//! when `GUARDED_TEST_PG` / `GUARDED_TEST_MYSQL` hold URLs.

use sqlparser::tokenizer::Token;
use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{AssertSqlSafe, Connection, Executor, Row};

use super::super::Dialect;
use super::super::lex::lex;

/// What the lexer's reading says the server returns: per column, the number it holds when the
/// item is a single number.
type Predicted = Vec<Option<String>>;

/// What the server returned: per column, its text when it has one.
type Returned = Vec<Option<String>>;

/// Characters some reader may take for a space: every Unicode `White_Space` character, every
/// ASCII control but NUL, and the format characters that look like space.
fn spaces() -> Vec<char> {
    let mut all: Vec<char> = (1..=0x10_FFFF)
        .filter_map(char::from_u32)
        .filter(|c| c.is_whitespace() || c.is_ascii_control())
        .collect();
    all.extend([
        '\u{180E}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{3164}',
        '\u{FFA0}', '\u{115F}', '\u{00AD}',
    ]);
    all.sort_unstable();
    all.dedup();
    all
}

/// Templates a separator `{w}` is tried in: between items, after each comment opener, inside a
/// comment opener.
const SEPARATED: &[&str] = &[
    "SELECT 1{w}, 2",
    "SELECT 1,{w}2",
    "SELECT{w}1, 2",
    "SELECT 1 --{w}, 2\n, 3",
    "SELECT 1, 2 --{w}",
    "SELECT 1 #{w}, 2\n, 3",
    "SELECT 1 /*{w}*/, 2",
    "SELECT 1 /*{w}, 2 */, 3",
    "SELECT 1 -{w}-, 2\n, 3",
    "SELECT 1 {w}--, 2\n, 3",
];

/// Prefixes of a quoted literal: every one some dialect reads, in both cases, and none.
const PREFIXES: &[&str] = &[
    "", "B", "b", "X", "x", "N", "n", "E", "e", "U&", "u&", "R", "r", "Q", "q", "_utf8mb4",
    "_binary", "@",
];

/// Quotes, opening and closing.
const QUOTES: &[(char, char)] = &[('\'', '\''), ('"', '"'), ('`', '`'), ('[', ']')];

/// Bodies of a quoted literal, `Q` standing for the closing quote: bits, hex digits, escapes
/// one reader honours and another does not, doubled quotes, comment openers, a non-ASCII space.
const BODIES: &[&str] = &[
    "", "01", "41", "a", "\\", "\\\\", "QQ", "\\Q", "a b", " -- ", "/*", "\u{a0}", "\\0041",
];

/// Templates a literal `{l}` is tried in: alone, before a comment holding its quote `{q}`, and
/// before another literal of the same quote.
const QUOTED: &[&str] = &[
    "SELECT 1, {l}, 2",
    "SELECT 1, {l}, 2 -- {q}\n, 3",
    "SELECT 1, {l}, 2 /* {q} */, 3",
    "SELECT 1, {l}, {q}{q}, 2",
];

/// Dollar quotes and other forms whose boundaries depend on the dialect.
const OTHERS: &[&str] = &[
    "SELECT 1, $$a$$, 2",
    "SELECT 1, $t$a$t$, 2",
    "SELECT 1, $1$a, 2 -- $1$\n, 3",
    "SELECT 1, $_$a$_$, 2",
    "SELECT 1, $é$a$é$, 2",
    "SELECT 1, $$a$ $$, 2",
    "SELECT 1, $a$ , 2 -- $a$\n, 3",
    "SELECT 1 /* /* */, 2 */, 3",
    "SELECT 1 /*/, 2 */, 3",
    "SELECT 1 /**/, 2",
    "SELECT 1 --, 2\n, 3",
    "SELECT 1 ---, 2\n, 3",
    "SELECT 1 --\r, 2\n, 3",
    "SELECT 1, 1a, 2",
    "SELECT 1, 1e1, 2",
    "SELECT 1, 0x41, 2",
    "SELECT 1, 0b1, 2",
    "SELECT 1, x@b, 2",
    "SELECT 1, x$b, 2",
    "SELECT 1, 1_0, 2",
    "SELECT 1, .1, 2",
    "SELECT 1, x'41'x, 2",
    "SELECT 1, 'a'\n'b', 2",
    "SELECT 1, 'a' 'b', 2",
    "SELECT 1, U&'a' UESCAPE '!', 2",
    "SELECT 1, U&\"a\", 2",
    "SELECT 1 <--, 5\n 2, 3",
    "SELECT 1 </*, 5 */ 2, 3",
    "SELECT 1 >--, 5\n 2, 3",
    "SELECT 1 >=--, 5\n 2, 3",
    "SELECT 1 <>--, 5\n 2, 3",
    "SELECT 1 #--, 5\n 2, 3",
    "SELECT 1 |--, 5\n 2, 3",
    "SELECT 1 &--, 5\n 2, 3",
    "SELECT 1 &/*, 5 */ 2, 3",
    "SELECT 1 >-2, 3",
    "SELECT 1, [a]]b], 2",
    "SELECT 1, `a``b`, 2",
    "SELECT 1, \"a\"\"b\", 2",
    "SELECT 1 /*!, 2 */, 3",
    "SELECT 1 /*!50000, 2 */, 3",
    "SELECT 1 /*M!, 2 */, 3",
    "SELECT 1 /*m!, 2 */, 3",
    "SELECT 1 /*M!100000, 2 */, 3",
    "SELECT 1 /* !, 2 */, 3",
    "SELECT 1 /*+, 2 */, 3",
    "SELECT 1, 0x4g, 2",
    "SELECT 1, 1e1x, 2",
    "SELECT 1, \\N, 2",
    "SELECT 1, @'a', 2",
];

/// Every text tried, each with the separator it names a column after, if any.
fn texts() -> Vec<(String, Option<char>)> {
    let mut texts = Vec::new();
    for w in spaces() {
        for template in SEPARATED {
            texts.push((template.replace("{w}", &w.to_string()), Some(w)));
        }
    }
    for prefix in PREFIXES {
        for (open, close) in QUOTES {
            for body in BODIES {
                let body = body.replace('Q', &close.to_string());
                let literal = format!("{prefix}{open}{body}{close}");
                for template in QUOTED {
                    let text = template
                        .replace("{l}", &literal)
                        .replace("{q}", &close.to_string());
                    texts.push((text, None));
                }
            }
        }
    }
    texts.extend(OTHERS.iter().map(|t| ((*t).to_owned(), None)));
    texts
}

/// The derived table the items may read: a column for each letter of a prefix and for the
/// separator `w`, named in the dialect's quotes.
fn from_clause(dialect: Dialect, w: Option<char>) -> String {
    let quote = |name: &str| match dialect {
        Dialect::MySql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    };
    let mut columns: Vec<String> = ["b", "x", "n", "e", "u", "r", "q", "a", "t"]
        .iter()
        .zip(40..)
        .map(|(name, value)| format!("{value} AS {}", quote(name)))
        .collect();
    if let Some(w) = w.filter(|w| !w.is_ascii()) {
        columns.push(format!("99 AS {}", quote(&w.to_string())));
    }
    format!("\nFROM (SELECT {}) AS derived", columns.join(", "))
}

/// The lexer's reading of `text`, or `None` when it refuses the text or reads no select list
/// before the `FROM` this test appends.
fn predict(text: &str, dialect: Dialect) -> Option<Predicted> {
    let source = lex(text, dialect).ok()?;
    let toks = &source.toks;
    let is_word = |t: &Token, name: &str| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(name));
    if !is_word(&toks.first()?.token, "SELECT") {
        return None;
    }
    let end = toks.iter().rposition(|t| is_word(&t.token, "FROM"))?;
    let mut columns = Vec::new();
    for item in toks[1..end].split(|t| t.token == Token::Comma) {
        columns.push(match item {
            [one] => match &one.token {
                Token::Number(n, false) if n.bytes().all(|b| b.is_ascii_digit()) => Some(n.clone()),
                _ => None,
            },
            _ => None,
        });
    }
    Some(columns)
}

/// Whether the server's result agrees with the prediction.
fn agrees(predicted: &Predicted, returned: &Returned) -> bool {
    predicted.len() == returned.len()
        && predicted
            .iter()
            .zip(returned)
            .all(|(p, r)| p.is_none() || p == r)
}

enum Server {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    MySql(MySqlConnection),
}

impl Server {
    async fn open(dialect: Dialect) -> Option<Self> {
        let var = match dialect {
            Dialect::Sqlite => {
                let conn = SqliteConnection::connect("sqlite::memory:")
                    .await
                    .expect("SQLite");
                return Some(Self::Sqlite(conn));
            }
            Dialect::Postgres => "GUARDED_TEST_PG",
            Dialect::MySql => "GUARDED_TEST_MYSQL",
        };
        let Ok(url) = std::env::var(var) else {
            eprintln!("{var} is unset: the lexer differential skips that backend");
            return None;
        };
        Some(match dialect {
            Dialect::Postgres => Self::Postgres(
                PgConnection::connect(&url)
                    .await
                    .unwrap_or_else(|e| panic!("{var} answers: {e}")),
            ),
            _ => Self::MySql(
                MySqlConnection::connect(&url)
                    .await
                    .unwrap_or_else(|e| panic!("{var} answers: {e}")),
            ),
        })
    }

    /// The session settings of each mode the server may lex in, default first.
    fn modes(&self) -> &'static [&'static str] {
        match self {
            Self::Sqlite(_) => &[""],
            Self::Postgres(_) => &[
                "SET standard_conforming_strings = on",
                "SET standard_conforming_strings = off",
            ],
            Self::MySql(_) => &[
                "SET SESSION sql_mode = 'PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION'",
                "SET SESSION sql_mode = 'PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION,NO_BACKSLASH_ESCAPES'",
                "SET SESSION sql_mode = 'PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION,ANSI_QUOTES'",
                "SET SESSION sql_mode = \
                 'PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION,NO_BACKSLASH_ESCAPES,ANSI_QUOTES'",
            ],
        }
    }

    async fn set(&mut self, mode: &'static str) {
        if mode.is_empty() {
            return;
        }
        let done = match self {
            Self::Sqlite(conn) => conn.execute(mode).await.map(drop),
            Self::Postgres(conn) => conn.execute(mode).await.map(drop),
            Self::MySql(conn) => conn.execute(mode).await.map(drop),
        };
        done.unwrap_or_else(|e| panic!("{mode}: {e}"));
    }

    /// The first row `text` returns, each column as text; `None` when the server refuses it.
    async fn run(&mut self, text: &str) -> Option<Returned> {
        let query = sqlx::raw_sql(AssertSqlSafe(text.to_owned()));
        macro_rules! first_row {
            ($conn:expr) => {
                query.fetch_all(&mut *$conn).await.ok().map(|rows| {
                    rows.first().map_or_else(Vec::new, |row| {
                        (0..row.len())
                            .map(|i| row.try_get_unchecked::<String, _>(i).ok())
                            .collect()
                    })
                })
            };
        }
        match self {
            Self::Sqlite(conn) => first_row!(conn),
            Self::Postgres(conn) => first_row!(conn),
            Self::MySql(conn) => first_row!(conn),
        }
    }
}

async fn lexer_differential(dialect: Dialect, label: &str) {
    let Some(mut server) = Server::open(dialect).await else {
        return;
    };
    let texts = texts();
    let readings: Vec<_> = texts
        .iter()
        .map(|(text, w)| {
            let text = format!("{text}{}", from_clause(dialect, *w));
            let predicted = predict(&text, dialect);
            (text, predicted)
        })
        .collect();
    let accepted = readings.iter().filter(|(_, p)| p.is_some()).count();
    let (mut ran, mut refused) = (0, 0);
    let mut disagreements = Vec::new();
    for mode in server.modes() {
        server.set(mode).await;
        for (text, predicted) in &readings {
            let Some(predicted) = predicted else { continue };
            let Some(returned) = server.run(text).await else {
                refused += 1;
                continue;
            };
            ran += 1;
            if !agrees(predicted, &returned) {
                disagreements.push(format!(
                    "{mode}\n  text:      {text:?}\n  lexer:     {predicted:?}\n  server:    {returned:?}"
                ));
            }
        }
    }
    eprintln!(
        "lexer differential {label}: {} texts, {accepted} accepted by the lexer; over {} modes \
         the server ran {ran} and refused {refused}; {} disagreements",
        texts.len(),
        server.modes().len(),
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "{label}: the lexer and the server read {} accepted texts differently:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // A run where the server ran next to nothing proves nothing. Many texts are valid in some
    // dialect only (`#` comments, backquotes, brackets), so a fifth is the floor.
    assert!(ran * 5 >= accepted, "{label}: the server ran too few texts");
}

#[tokio::test]
async fn lexer_differential_sqlite() {
    lexer_differential(Dialect::Sqlite, "sqlite").await;
}

#[tokio::test]
async fn lexer_differential_postgres() {
    lexer_differential(Dialect::Postgres, "postgres").await;
}

#[tokio::test]
async fn lexer_differential_mariadb() {
    lexer_differential(Dialect::MySql, "mariadb").await;
}

/// The generator keeps the forms issue 27 found: on MariaDB `--` before a no-break space is no
/// comment, and `B"..."` is a column and a string with escapes.
#[test]
fn the_found_disagreements_are_generated() {
    let texts = texts();
    for found in [
        "SELECT 1 --\u{a0}, 2\n, 3",
        "SELECT 1, B\"\\\", 2 -- \"\n, 3",
    ] {
        assert!(texts.iter().any(|(t, _)| t == found), "{found:?}");
    }
}

/// Without a server: a space the servers do not read as one is refused between tokens in every
/// dialect, and after `--` on MySQL, where it decides whether a comment starts.
#[test]
fn strange_spaces_are_refused_outside_quotes() {
    for w in spaces()
        .into_iter()
        .filter(|w| !matches!(w, ' ' | '\t' | '\n' | '\r'))
    {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
            let between = format!("SELECT 1{w}, 2");
            assert!(lex(&between, dialect).is_err(), "{dialect:?}: {between:?}");
            let quoted = format!("SELECT '{w}', 1 /*{w}*/");
            assert!(lex(&quoted, dialect).is_ok(), "{dialect:?}: {quoted:?}");
        }
        let dashes = format!("SELECT 1 --{w}x");
        assert!(lex(&dashes, Dialect::MySql).is_err(), "{dashes:?}");
    }
}
