//! Where clauses sit in the text: the offsets insertions go to.
//!
//! The parser reports where each statement and each SELECT begins (their keyword's span);
//! from there, the clause is found among the tokens at the same parenthesis depth. A wrong
//! guess here cannot open a hole: the spliced statement is parsed again and must be exactly
//! the statement the guard built (`verify`), or the fn does not compile.

use sqlparser::ast::Spanned;
use sqlparser::tokenizer::{Span, Token};

use super::lex::Source;

/// The clauses a statement may have after its WHERE, by statement kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clause {
    /// A SELECT's WHERE: ends at GROUP BY, ORDER BY, a set operation, ...
    Select,
    /// A SELECT's list: ends where its FROM would, and at a WHERE when it has no FROM
    /// (`SELECT ? WHERE NOT EXISTS (...)`), or where its WHERE would.
    Projection,
    /// An UPDATE's or DELETE's WHERE: ends at RETURNING, ORDER BY, LIMIT.
    Mutation,
    /// A whole SELECT, its GROUP BY and HAVING included: ends where its query goes on
    /// (ORDER BY, LIMIT, a set operation, an INSERT's `ON CONFLICT`, RETURNING).
    Body,
    /// A join's ON: ends at the next join, a comma, or the WHERE.
    On,
    /// The inside of brackets: ends only at the closing one.
    Brackets,
}

/// A condition to extend.
#[derive(Debug, Clone, Copy)]
pub enum Site {
    /// The condition's text is `start..end`.
    Existing { start: usize, end: usize },
    /// There is none: a new `WHERE` goes at `at`.
    Missing { at: usize },
}

/// The clauses of a SELECT after its WHERE.
const SELECT_CLAUSES: &[&str] = &["GROUP", "HAVING", "WINDOW", "QUALIFY"];
/// Where a whole SELECT ends and its query goes on.
const BODY_ENDS: &[&str] = &[
    "ORDER",
    "LIMIT",
    "OFFSET",
    "FETCH",
    "FOR",
    "LOCK",
    "UNION",
    "INTERSECT",
    "EXCEPT",
    "MINUS",
    "RETURNING",
    "INTO",
];
const MUTATION_ENDS: &[&str] = &["RETURNING", "ORDER", "LIMIT", "OUTPUT"];
const JOINS: &[&str] = &[
    "JOIN",
    "INNER",
    "CROSS",
    "NATURAL",
    "FULL",
    "STRAIGHT_JOIN",
    "WHERE",
];

impl Source<'_> {
    /// The index of the token starting at the span's start.
    pub fn token_at(&self, span: Span) -> Option<usize> {
        let offset = self.offset(span.start)?;
        self.toks.binary_search_by_key(&offset, |t| t.start).ok()
    }

    /// The byte range of an identifier, quotes included.
    pub fn range_of(&self, ident: &sqlparser::ast::Ident) -> Option<(usize, usize)> {
        if ident.span.start.line == 0 {
            return None;
        }
        Some((self.offset(ident.span.start)?, self.offset(ident.span.end)?))
    }

    /// The text's start offset of a parsed node, when the parser recorded it.
    pub fn start_of(&self, node: &impl Spanned) -> Option<usize> {
        let span = node.span();
        (span.start.line > 0).then(|| self.offset(span.start))?
    }

    fn keyword(&self, i: usize, word: &str) -> bool {
        matches!(self.toks.get(i).map(|t| &t.token),
            Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
    }

    fn keyword_in(&self, i: usize, words: &[&str]) -> bool {
        words.iter().any(|w| self.keyword(i, w))
    }

    /// Whether token `i` ends a clause of this kind (at the depth the scan started at).
    fn ends(&self, i: usize, clause: Clause) -> bool {
        if matches!(self.toks[i].token, Token::SemiColon) {
            return true;
        }
        // `ON CONFLICT` / `ON DUPLICATE KEY` of an INSERT whose source is this SELECT.
        let on_insert =
            || self.keyword(i, "ON") && self.keyword_in(i + 1, &["CONFLICT", "DUPLICATE"]);
        // `WITHIN GROUP (ORDER BY ...)` belongs to an aggregate, not to the query.
        let within = || self.keyword(i, "GROUP") && i > 0 && self.keyword(i - 1, "WITHIN");
        let side_join =
            || self.keyword_in(i, &["LEFT", "RIGHT"]) && self.keyword_in(i + 1, &["JOIN", "OUTER"]);
        let select_ends =
            || (self.keyword_in(i, SELECT_CLAUSES) || self.keyword_in(i, BODY_ENDS)) && !within();
        match clause {
            Clause::Select => select_ends() || on_insert(),
            Clause::Projection => self.keyword(i, "WHERE") || select_ends() || on_insert(),
            Clause::Mutation => self.keyword_in(i, MUTATION_ENDS),
            Clause::Body => self.keyword_in(i, BODY_ENDS) || on_insert(),
            Clause::Brackets => false,
            Clause::On => {
                self.keyword_in(i, JOINS)
                    || side_join()
                    || matches!(self.toks[i].token, Token::Comma)
                    || select_ends()
                    || on_insert()
            }
        }
    }

    /// From token `from` (exclusive), the first token at the same depth that is `word`
    /// (`Ok`), or the index where the clause ends first (`Err`: a clause end, a bracket
    /// closing the depth, or the end of the text).
    fn scan(&self, from: usize, word: Option<&str>, clause: Clause) -> Result<usize, usize> {
        let mut depth = 0usize;
        for i in from + 1..self.toks.len() {
            match self.toks[i].token {
                Token::LParen | Token::LBracket | Token::LBrace => depth += 1,
                Token::RParen | Token::RBracket | Token::RBrace => {
                    if depth == 0 {
                        return Err(i);
                    }
                    depth -= 1;
                }
                _ if depth > 0 => {}
                _ if word.is_some_and(|w| self.keyword(i, w)) => return Ok(i),
                _ if self.ends(i, clause) => return Err(i),
                _ => {}
            }
        }
        Err(self.toks.len())
    }

    /// The end offset of the last token before token index `i`.
    fn end_before(&self, i: usize) -> Option<usize> {
        i.checked_sub(1).map(|j| self.toks[j].end)
    }

    /// The WHERE of the clause whose first keyword is token `from`; `exists` is what the
    /// parser saw.
    pub fn where_site(&self, from: usize, clause: Clause, exists: bool) -> Result<Site, String> {
        match (self.scan(from, Some("WHERE"), clause), exists) {
            (Ok(w), true) => self.condition(w, clause),
            (Err(end), false) => self
                .end_before(end)
                .map(|at| Site::Missing { at })
                .ok_or_else(unplaced),
            _ => Err(unplaced()),
        }
    }

    /// The condition following the keyword at token `keyword`, up to the clause's end.
    pub fn condition(&self, keyword: usize, clause: Clause) -> Result<Site, String> {
        let end = match self.scan(keyword, None, clause) {
            Ok(i) | Err(i) => i,
        };
        match (self.toks.get(keyword + 1), self.end_before(end)) {
            (Some(first), Some(end)) if keyword + 1 < self.toks.len() && first.start < end => {
                Ok(Site::Existing {
                    start: first.start,
                    end,
                })
            }
            _ => Err(unplaced()),
        }
    }

    /// The ON of a join whose condition the parser reported starting at `start`: the
    /// keyword is the token before it, past any opening parentheses.
    pub fn on_site(&self, condition_start: usize) -> Result<Site, String> {
        let mut i = self
            .toks
            .binary_search_by_key(&condition_start, |t| t.start)
            .map_err(|_| unplaced())?;
        while i > 0 && matches!(self.toks[i - 1].token, Token::LParen) {
            i -= 1;
        }
        if i == 0 || !self.keyword(i - 1, "ON") {
            return Err(unplaced());
        }
        self.condition(i - 1, Clause::On)
    }

    /// The first token at the same depth after `from` that is `word`, before the clause ends.
    pub fn find(&self, from: usize, word: &str, clause: Clause) -> Option<usize> {
        self.scan(from, Some(word), clause).ok()
    }

    /// The index of the bracket closing the one opened at token `open`.
    pub fn closing(&self, open: usize) -> Option<usize> {
        self.scan(open, None, Clause::Brackets)
            .err()
            .filter(|i| matches!(self.toks.get(*i).map(|t| &t.token), Some(Token::RParen)))
    }

    /// Whether token `i` is `word` (unquoted).
    pub fn is(&self, i: usize, word: &str) -> bool {
        self.keyword(i, word)
    }

    /// Whether token `i` is `token`.
    pub fn is_token(&self, i: usize, token: &Token) -> bool {
        self.toks.get(i).is_some_and(|t| &t.token == token)
    }

    /// The end offset of the clause of this kind whose first keyword is token `from`.
    pub fn end_of(&self, from: usize, clause: Clause) -> Option<usize> {
        match self.scan(from, None, clause) {
            Ok(i) | Err(i) => self.end_before(i),
        }
    }

    /// The end offset of the last token before the first token at the same depth after
    /// `from` that ends a clause of this kind, or that is `word`.
    pub fn before(&self, from: usize, word: &str, clause: Clause) -> Option<usize> {
        match self.scan(from, Some(word), clause) {
            Ok(i) | Err(i) => self.end_before(i),
        }
    }
}

fn unplaced() -> String {
    "the guard cannot tell where this statement's clauses begin and end, so it cannot place \
     its predicate; write the statement more plainly (please report it)"
        .into()
}
