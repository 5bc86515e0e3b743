//! A fn's expansion written as a tape over the fn's own tokens, so that a later compilation of
//! the same tokens rebuilds it without reading the fn again.
//!
//! An expansion is made of the user's tokens and of tokens the macro wrote, each with a span:
//! a user token's (which carries the place and the hygiene the compiler gave it), the call
//! site's, the mixed site's, or the mixed or call site's hygiene at a user token's place. The
//! tape names every user token by its index in the input (attribute, then item, each tree in
//! order, a group before its contents) and every written token by its text and the span it
//! takes, so it depends on the input's tokens, never on where they are in the file: the
//! replay of a tape over another compilation's identical tokens takes their spans there.
//!
//! Which span an output token carries is read off the compiler's description of spans
//! (their `Debug` text: hygiene and place). A span the tape cannot name without ambiguity
//! (two input tokens with the same span, a place no input token has) makes the fn
//! unrecordable, and every token is checked as it is written against what the replay will
//! build for it ([`record`]).

use std::borrow::Borrow;
use std::fmt::Write as _;

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

use super::{Reader, put_num, put_str};

/// A fn's tokens, each tree by its index, and their text: what a tape is replayed over.
pub struct Input {
    tokens: Vec<TokenTree>,
    /// Every token's kind and text, the spacing of punctuation and the delimiters: equal
    /// texts are equal token streams but for their spans.
    pub text: String,
}

impl Input {
    pub fn read(attr: &TokenStream, item: &TokenStream) -> Self {
        let mut input = Self {
            tokens: Vec::new(),
            text: String::new(),
        };
        input.flatten(attr.clone());
        input.text.push('|');
        input.flatten(item.clone());
        input
    }

    fn flatten(&mut self, stream: TokenStream) {
        for tree in stream {
            describe(&tree, &mut self.text);
            let inner = match &tree {
                TokenTree::Group(group) => Some(group.stream()),
                _ => None,
            };
            self.tokens.push(tree);
            if let Some(inner) = inner {
                self.flatten(inner);
                self.text.push(')');
            }
        }
    }

    /// The span `name` names, as the replay builds it.
    fn resolve(&self, name: SpanOf) -> Option<Span> {
        Some(match name {
            SpanOf::CallSite => Span::call_site(),
            SpanOf::MixedSite => Span::mixed_site(),
            SpanOf::Input(place) => self.span(place)?,
            SpanOf::CallAt(place) => Span::call_site().located_at(self.span(place)?),
            SpanOf::MixedAt(place) => Span::mixed_site().located_at(self.span(place)?),
            SpanOf::Joined(first, last) => self.span(first)?.join(self.span(last)?)?,
        })
    }

    fn span(&self, place: Place) -> Option<Span> {
        let token = self.tokens.get(place.index)?;
        Some(match (place.part, token) {
            (Part::Whole, _) => token.span(),
            (Part::Open, TokenTree::Group(group)) => group.span_open(),
            (Part::Close, TokenTree::Group(group)) => group.span_close(),
            _ => return None,
        })
    }
}

/// A token's kind and text, as the input's and the fingerprint's text hold it.
fn describe(tree: &TokenTree, out: &mut String) {
    match tree {
        TokenTree::Group(group) => {
            out.push('g');
            out.push(delimiter_mark(group.delimiter()));
        }
        TokenTree::Ident(ident) => {
            let _ = write!(out, "i{ident} ");
        }
        TokenTree::Punct(punct) => {
            out.push('p');
            out.push(punct.as_char());
            out.push(spacing_mark(punct.spacing()));
        }
        TokenTree::Literal(literal) => {
            out.push('l');
            put_str(out, &literal.to_string());
        }
    }
}

fn delimiter_mark(delimiter: Delimiter) -> char {
    match delimiter {
        Delimiter::Parenthesis => '(',
        Delimiter::Brace => '{',
        Delimiter::Bracket => '[',
        Delimiter::None => '0',
    }
}

fn spacing_mark(spacing: Spacing) -> char {
    match spacing {
        Spacing::Joint => 'j',
        Spacing::Alone => 'a',
    }
}

/// Which span of an input token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The token's, or a group's whole span.
    Whole,
    /// A group's opening delimiter.
    Open,
    /// A group's closing delimiter.
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place {
    index: usize,
    part: Part,
}

/// The span of a token the macro wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpanOf {
    CallSite,
    MixedSite,
    /// An input token's span, hygiene and place.
    Input(Place),
    /// The call site's hygiene at an input token's place.
    CallAt(Place),
    /// The mixed site's hygiene at an input token's place.
    MixedAt(Place),
    /// Two input tokens' spans joined, from the first's start to the second's end (a
    /// compiler that joins spans; `proc-macro2` outside one).
    Joined(Place, Place),
}

/// A span as the compiler describes it: its `Debug` text, `#3 bytes(10..14)` (hygiene and
/// byte range), or `bytes(10..14)` outside a compiler. Equal texts are the same span.
fn key(span: Span) -> String {
    format!("{span:?}")
}

/// A description's hygiene (`#3`) and place (`bytes(10..14)`).
fn split(description: &str) -> Option<(&str, &str)> {
    description.split_once(' ')
}

/// The byte range of a description's place.
fn range(description: &str) -> Option<(&str, &str)> {
    let at = description.rsplit(' ').next()?;
    at.strip_prefix("bytes(")?
        .strip_suffix(')')?
        .split_once("..")
}

/// A sorted list of keys and values, looked up by binary search: the proc macro runs
/// unoptimised in the default profile, where hashing a key costs many times comparing it.
struct Index<K, V>(Vec<(K, V)>);

impl<K: Ord, V: PartialEq + Copy> Index<K, V> {
    fn new(mut entries: Vec<(K, V)>) -> Self {
        entries.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        Self(entries)
    }

    /// The value of `key`; `None` when there is none, or several that differ.
    fn unique<Q: Ord + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let first = self.0.partition_point(|(k, _)| k.borrow() < key);
        let mut same = self.0[first..]
            .iter()
            .take_while(|(k, _)| k.borrow() == key);
        let (_, value) = same.next()?;
        same.all(|(_, v)| v == value).then_some(*value)
    }
}

/// The spans of the input: each token's (a group's three), and groups by their three spans.
struct Spans {
    call: String,
    mixed: String,
    whole: Index<String, Place>,
    groups: Index<(String, String, String), usize>,
}

impl Spans {
    fn of(input: &Input) -> Self {
        let mut whole = Vec::with_capacity(input.tokens.len());
        let mut groups = Vec::new();
        for (index, token) in input.tokens.iter().enumerate() {
            let span = key(token.span());
            if let TokenTree::Group(group) = token {
                let open = key(group.span_open());
                let close = key(group.span_close());
                let part = |part| Place { index, part };
                whole.push((open.clone(), part(Part::Open)));
                whole.push((close.clone(), part(Part::Close)));
                groups.push(((span.clone(), open, close), index));
            }
            whole.push((
                span,
                Place {
                    index,
                    part: Part::Whole,
                },
            ));
        }
        Self {
            call: key(Span::call_site()),
            mixed: key(Span::mixed_site()),
            whole: Index::new(whole),
            groups: Index::new(groups),
        }
    }

    /// How the tape names a span; `None` when it cannot.
    fn name(&self, span: &str) -> Option<SpanOf> {
        if span == self.call {
            return Some(SpanOf::CallSite);
        }
        if span == self.mixed {
            return Some(SpanOf::MixedSite);
        }
        if let Some(place) = self.whole.unique(span) {
            return Some(SpanOf::Input(place));
        }
        let Some((hygiene, at)) = split(span) else {
            // Outside a compiler a span is its place: one joining two input tokens'.
            let (lo, hi) = range(span)?;
            let starts = |k: &str| range(k).is_some_and(|(l, _)| l == lo);
            let ends = |k: &str| range(k).is_some_and(|(_, h)| h == hi);
            return Some(SpanOf::Joined(self.find(starts)?, self.find(ends)?));
        };
        // Another hygiene at an input token's place: the one input token there, if any.
        let mut there = self
            .whole
            .0
            .iter()
            .filter(|(k, _)| split(k).is_some_and(|(_, a)| a == at));
        let (_, place) = there.next()?;
        there.all(|(_, p)| p == place).then_some(())?;
        if Some(hygiene) == split(&self.call).map(|(h, _)| h) {
            Some(SpanOf::CallAt(*place))
        } else if Some(hygiene) == split(&self.mixed).map(|(h, _)| h) {
            Some(SpanOf::MixedAt(*place))
        } else {
            None
        }
    }

    /// The first input span (in the order of the index) that `pick` picks.
    fn find(&self, pick: impl Fn(&str) -> bool) -> Option<Place> {
        self.whole.0.iter().find(|(k, _)| pick(k)).map(|(_, p)| *p)
    }
}

/// The tape of `output`, the expansion of `input`: `None` when some span cannot be named.
///
/// Each token is checked as it is written: a copied input token has the span and text of the
/// one it copies; a written token's span is named by the span's own description, and where
/// the replay builds a span (a group's, one at another token's place, a joined one) or a
/// literal, what it builds is compared with the token. The replay of the tape over `input`
/// is then `output`, token for token and span for span (the tests replay every tape they
/// record, and CI's `GUARDED_ANALYSIS_CACHE=check` build compares every replay with the fn
/// expanded again).
pub fn record(input: &Input, output: &TokenStream) -> Option<String> {
    let mut writer = Writer {
        input,
        spans: Spans::of(input),
        tape: String::new(),
        run: None,
        last: None,
    };
    writer.stream(output)?;
    writer.flush();
    Some(writer.tape)
}

// The tape: a node is `v` and an input index (that token, or group, as it is in the input);
// `V`, an index and a count (that many input tokens from the index, none a group); `g`, a
// delimiter mark, a span, the group's nodes and `e`; `i` / `r` (raw) an identifier's text and
// span; `p` a character, a spacing mark and a span; `l` a literal's text and span, `q` a string
// literal's value (written without escapes) and span. A span is
// `.` (the previous one), `c` (call site), `m` (mixed site), `s` (an input token's), `C` /
// `M` (the call or mixed site's hygiene at an input token's place), the last three followed
// by the place: a part mark (`w`, `o`, `x`) and an index; or `J` and two places (joined).

struct Writer<'a> {
    input: &'a Input,
    spans: Spans,
    tape: String,
    /// Input tokens copied in a row, not yet written: the first index and the count.
    run: Option<(usize, usize)>,
    last: Option<SpanOf>,
}

impl Writer<'_> {
    fn stream(&mut self, stream: &TokenStream) -> Option<()> {
        for tree in stream.clone() {
            self.tree(&tree)?;
        }
        Some(())
    }

    fn tree(&mut self, tree: &TokenTree) -> Option<()> {
        let span = key(tree.span());
        match tree {
            TokenTree::Group(group) => self.group(group, span),
            _ => self.leaf(tree, &span),
        }
    }

    fn group(&mut self, group: &Group, span: String) -> Option<()> {
        let open = key(group.span_open());
        let close = key(group.span_close());
        let name = self.spans.name(&span);
        let three = (span, open, close);
        if let Some(index) = self.spans.groups.unique(&three) {
            // A group the macro wrote anew may have the spans of the one it replaces: the same
            // only with the same contents, spans and all.
            let same = match self.input.tokens.get(index) {
                Some(TokenTree::Group(found)) => {
                    fingerprint(&found.stream()) == fingerprint(&group.stream())
                }
                _ => false,
            };
            if same {
                self.flush();
                self.tape.push('v');
                put_num(&mut self.tape, index);
                return Some(());
            }
        }
        // The replay's group: its delimiters take the span the group is given.
        let (span, open, close) = three;
        let name = name?;
        let mut built = Group::new(group.delimiter(), TokenStream::new());
        built.set_span(self.input.resolve(name)?);
        let same = key(built.span()) == span
            && key(built.span_open()) == open
            && key(built.span_close()) == close;
        same.then_some(())?;
        self.flush();
        self.tape.push('g');
        self.tape.push(delimiter_mark(group.delimiter()));
        self.span(name);
        self.stream(&group.stream())?;
        self.flush();
        self.tape.push('e');
        Some(())
    }

    fn leaf(&mut self, tree: &TokenTree, span: &str) -> Option<()> {
        let name = self.spans.name(span)?;
        if let SpanOf::Input(Place {
            index,
            part: Part::Whole,
        }) = name
            && same_token(tree, self.input.tokens.get(index)?)
        {
            match &mut self.run {
                Some((first, count)) if *first + *count == index => *count += 1,
                _ => {
                    self.flush();
                    self.run = Some((index, 1));
                }
            }
            return Some(());
        }
        self.flush();
        match tree {
            TokenTree::Group(_) => return None,
            TokenTree::Ident(ident) => {
                let text = ident.to_string();
                if let Some(raw) = text.strip_prefix("r#") {
                    self.tape.push('r');
                    put_str(&mut self.tape, raw);
                } else {
                    self.tape.push('i');
                    put_str(&mut self.tape, &text);
                }
            }
            TokenTree::Punct(punct) => {
                self.tape.push('p');
                self.tape.push(punct.as_char());
                self.tape.push(spacing_mark(punct.spacing()));
            }
            TokenTree::Literal(literal) => {
                let text = literal.to_string();
                if let Some(value) = plain_string(&text) {
                    (Literal::string(value).to_string() == text).then_some(())?;
                    self.tape.push('q');
                    put_str(&mut self.tape, value);
                } else {
                    let built: Literal = text.parse().ok()?;
                    (built.to_string() == text).then_some(())?;
                    self.tape.push('l');
                    put_str(&mut self.tape, &text);
                }
            }
        }
        if !matches!(
            name,
            SpanOf::CallSite | SpanOf::MixedSite | SpanOf::Input(_)
        ) {
            // A span the replay builds: the same as the token's.
            (key(self.input.resolve(name)?) == span).then_some(())?;
        }
        self.span(name);
        Some(())
    }

    fn flush(&mut self) {
        match self.run.take() {
            None => {}
            Some((index, 1)) => {
                self.tape.push('v');
                put_num(&mut self.tape, index);
            }
            Some((index, count)) => {
                self.tape.push('V');
                put_num(&mut self.tape, index);
                put_num(&mut self.tape, count);
            }
        }
    }

    fn span(&mut self, span: SpanOf) {
        if self.last == Some(span) {
            self.tape.push('.');
            return;
        }
        self.last = Some(span);
        let (mark, places) = match span {
            SpanOf::CallSite => ('c', [None, None]),
            SpanOf::MixedSite => ('m', [None, None]),
            SpanOf::Input(place) => ('s', [Some(place), None]),
            SpanOf::CallAt(place) => ('C', [Some(place), None]),
            SpanOf::MixedAt(place) => ('M', [Some(place), None]),
            SpanOf::Joined(first, last) => ('J', [Some(first), Some(last)]),
        };
        self.tape.push(mark);
        for Place { index, part } in places.into_iter().flatten() {
            self.tape.push(match part {
                Part::Whole => 'w',
                Part::Open => 'o',
                Part::Close => 'x',
            });
            put_num(&mut self.tape, index);
        }
    }
}

/// The expansion a tape describes, over `input`; `None` when the tape does not fit it.
pub fn replay(input: &Input, tape: Reader<'_>) -> Option<TokenStream> {
    let mut replay = Replay {
        input,
        tape,
        last: None,
    };
    let stream = replay.stream(false)?;
    replay.tape.is_empty().then_some(stream)
}

struct Replay<'a> {
    input: &'a Input,
    tape: Reader<'a>,
    last: Option<Span>,
}

impl Replay<'_> {
    fn stream(&mut self, in_group: bool) -> Option<TokenStream> {
        let mut trees = Vec::new();
        loop {
            if !in_group && self.tape.is_empty() {
                return Some(trees.into_iter().collect());
            }
            let tree = match self.tape.byte()? {
                b'e' if in_group => return Some(trees.into_iter().collect()),
                b'v' => self.input.tokens.get(self.tape.num()?)?.clone(),
                b'V' => {
                    let first = self.tape.num()?;
                    let count = self.tape.num()?;
                    let end = first.checked_add(count)?;
                    trees.extend_from_slice(self.input.tokens.get(first..end)?);
                    continue;
                }
                b'g' => {
                    let delimiter = match self.tape.byte()? {
                        b'(' => Delimiter::Parenthesis,
                        b'{' => Delimiter::Brace,
                        b'[' => Delimiter::Bracket,
                        b'0' => Delimiter::None,
                        _ => return None,
                    };
                    let span = self.span()?;
                    let mut group = Group::new(delimiter, self.stream(true)?);
                    group.set_span(span);
                    TokenTree::Group(group)
                }
                b'i' => {
                    let text = self.tape.str()?;
                    TokenTree::Ident(Ident::new(text, self.span()?))
                }
                b'r' => {
                    let text = self.tape.str()?;
                    TokenTree::Ident(Ident::new_raw(text, self.span()?))
                }
                b'p' => {
                    let ch = char::from(self.tape.byte()?);
                    let spacing = match self.tape.byte()? {
                        b'j' => Spacing::Joint,
                        b'a' => Spacing::Alone,
                        _ => return None,
                    };
                    let mut punct = Punct::new(ch, spacing);
                    punct.set_span(self.span()?);
                    TokenTree::Punct(punct)
                }
                b'l' => {
                    let mut literal: Literal = self.tape.str()?.parse().ok()?;
                    literal.set_span(self.span()?);
                    TokenTree::Literal(literal)
                }
                b'q' => {
                    let mut literal = Literal::string(self.tape.str()?);
                    literal.set_span(self.span()?);
                    TokenTree::Literal(literal)
                }
                _ => return None,
            };
            trees.push(tree);
        }
    }

    fn span(&mut self) -> Option<Span> {
        let mark = self.tape.byte()?;
        if mark == b'.' {
            return self.last;
        }
        let name = match mark {
            b'c' => SpanOf::CallSite,
            b'm' => SpanOf::MixedSite,
            b's' => SpanOf::Input(self.place()?),
            b'C' => SpanOf::CallAt(self.place()?),
            b'M' => SpanOf::MixedAt(self.place()?),
            b'J' => SpanOf::Joined(self.place()?, self.place()?),
            _ => return None,
        };
        let span = self.input.resolve(name)?;
        self.last = Some(span);
        Some(span)
    }

    fn place(&mut self) -> Option<Place> {
        let part = match self.tape.byte()? {
            b'w' => Part::Whole,
            b'o' => Part::Open,
            b'x' => Part::Close,
            _ => return None,
        };
        Some(Place {
            index: self.tape.num()?,
            part,
        })
    }
}

/// Whether two leaves are the same token but for their spans.
fn same_token(a: &TokenTree, b: &TokenTree) -> bool {
    match (a, b) {
        (TokenTree::Ident(a), TokenTree::Ident(b)) => a == b,
        (TokenTree::Punct(a), TokenTree::Punct(b)) => {
            a.as_char() == b.as_char() && a.spacing() == b.spacing()
        }
        (TokenTree::Literal(a), TokenTree::Literal(b)) => a.to_string() == b.to_string(),
        _ => false,
    }
}

/// The value of a string literal written without escapes: built by `Literal::string` on
/// replay, which costs no call into the compiler (`record` checks it gives the same text).
fn plain_string(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['"', '\\'])).then_some(inner)
}

/// Every token of `stream` with its spans, as text: two streams with the same fingerprint
/// are the same tokens with the same spans.
pub fn fingerprint(stream: &TokenStream) -> String {
    let mut out = String::new();
    fingerprint_into(stream, &mut out);
    out
}

fn fingerprint_into(stream: &TokenStream, out: &mut String) {
    for tree in stream.clone() {
        describe(&tree, out);
        out.push_str(&key(tree.span()));
        if let TokenTree::Group(group) = &tree {
            out.push_str(&key(group.span_open()));
            out.push_str(&key(group.span_close()));
            fingerprint_into(&group.stream(), out);
            out.push(')');
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests;
