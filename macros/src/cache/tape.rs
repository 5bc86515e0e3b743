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
//! unrecordable, and the tape is kept only if its replay over the same input gives the
//! expansion again, token for token and span for span ([`fingerprint`]).

use std::collections::HashMap;
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

/// The compiler's description of a span, split into hygiene and place where its form allows.
fn describe_span(span: Span) -> String {
    format!("{span:?}")
}

/// A description's hygiene and place (`#3 bytes(10..14)`).
fn split(description: &str) -> Option<(&str, &str)> {
    description.split_once(' ')
}

/// The byte range in a description's place (`bytes(10..14)`).
fn range(description: &str) -> Option<(usize, usize)> {
    let at = description.rsplit(' ').next()?;
    let (lo, hi) = at
        .strip_prefix("bytes(")?
        .strip_suffix(')')?
        .split_once("..")?;
    Some((lo.parse().ok()?, hi.parse().ok()?))
}

/// The spans of the input, by their descriptions; a description two tokens share is
/// ambiguous (`None`).
struct Spans {
    call: String,
    mixed: String,
    whole: HashMap<String, Option<Place>>,
    places: HashMap<String, Option<Place>>,
    /// Tokens by where they start and end, for joined spans.
    starts: HashMap<usize, Place>,
    ends: HashMap<usize, Place>,
    groups: HashMap<(String, String, String), Option<usize>>,
}

impl Spans {
    fn of(input: &Input) -> Self {
        let mut spans = Self {
            call: describe_span(Span::call_site()),
            mixed: describe_span(Span::mixed_site()),
            whole: HashMap::new(),
            places: HashMap::new(),
            starts: HashMap::new(),
            ends: HashMap::new(),
            groups: HashMap::new(),
        };
        for (index, token) in input.tokens.iter().enumerate() {
            let mut add = |part, span: Span| {
                let place = Place { index, part };
                let description = describe_span(span);
                if let Some((_, at)) = split(&description) {
                    insert(&mut spans.places, at.to_owned(), place);
                }
                if let Some((lo, hi)) = range(&description) {
                    spans.starts.entry(lo).or_insert(place);
                    spans.ends.entry(hi).or_insert(place);
                }
                insert(&mut spans.whole, description, place);
            };
            add(Part::Whole, token.span());
            if let TokenTree::Group(group) = token {
                add(Part::Open, group.span_open());
                add(Part::Close, group.span_close());
                spans
                    .groups
                    .entry(group_key(group))
                    .and_modify(|found| *found = None)
                    .or_insert(Some(index));
            }
        }
        spans
    }

    /// How the tape names `span`; `None` when it cannot.
    fn name(&self, span: Span) -> Option<SpanOf> {
        let description = describe_span(span);
        if description == self.call {
            return Some(SpanOf::CallSite);
        }
        if description == self.mixed {
            return Some(SpanOf::MixedSite);
        }
        if let Some(found) = self.whole.get(&description) {
            return found.map(SpanOf::Input);
        }
        let Some((hygiene, at)) = split(&description) else {
            let (lo, hi) = range(&description)?;
            return Some(SpanOf::Joined(*self.starts.get(&lo)?, *self.ends.get(&hi)?));
        };
        let place = (*self.places.get(at)?)?;
        if Some(hygiene) == split(&self.call).map(|(h, _)| h) {
            Some(SpanOf::CallAt(place))
        } else if Some(hygiene) == split(&self.mixed).map(|(h, _)| h) {
            Some(SpanOf::MixedAt(place))
        } else {
            None
        }
    }
}

fn insert(map: &mut HashMap<String, Option<Place>>, key: String, place: Place) {
    map.entry(key)
        .and_modify(|found| {
            if *found != Some(place) {
                *found = None;
            }
        })
        .or_insert(Some(place));
}

fn group_key(group: &Group) -> (String, String, String) {
    (
        describe_span(group.span()),
        describe_span(group.span_open()),
        describe_span(group.span_close()),
    )
}

/// The tape of `output`, the expansion of `input`: `None` when some span cannot be named or
/// the tape's replay differs from `output`.
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
    let tape = writer.tape;
    let replayed = replay(input, Reader::new(&tape))?;
    (fingerprint(&replayed) == fingerprint(output)).then_some(tape)
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
        if let Some(index) = same_input(self.input, &self.spans, tree) {
            if let TokenTree::Group(_) = tree {
                self.flush();
                self.tape.push('v');
                put_num(&mut self.tape, index);
            } else {
                match &mut self.run {
                    Some((first, count)) if *first + *count == index => *count += 1,
                    _ => {
                        self.flush();
                        self.run = Some((index, 1));
                    }
                }
            }
            return Some(());
        }
        self.flush();
        match tree {
            TokenTree::Group(group) => {
                self.tape.push('g');
                self.tape.push(delimiter_mark(group.delimiter()));
                self.span(group.span())?;
                self.stream(&group.stream())?;
                self.flush();
                self.tape.push('e');
            }
            TokenTree::Ident(ident) => {
                let text = ident.to_string();
                if let Some(raw) = text.strip_prefix("r#") {
                    self.tape.push('r');
                    put_str(&mut self.tape, raw);
                } else {
                    self.tape.push('i');
                    put_str(&mut self.tape, &text);
                }
                self.span(ident.span())?;
            }
            TokenTree::Punct(punct) => {
                self.tape.push('p');
                self.tape.push(punct.as_char());
                self.tape.push(spacing_mark(punct.spacing()));
                self.span(punct.span())?;
            }
            TokenTree::Literal(literal) => {
                let text = literal.to_string();
                if let Some(value) = plain_string(&text) {
                    self.tape.push('q');
                    put_str(&mut self.tape, value);
                } else {
                    self.tape.push('l');
                    put_str(&mut self.tape, &text);
                }
                self.span(literal.span())?;
            }
        }
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

    fn span(&mut self, span: Span) -> Option<()> {
        let span = self.spans.name(span)?;
        if self.last == Some(span) {
            self.tape.push('.');
            return Some(());
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
        Some(())
    }
}

/// The index of the input token `tree` is a copy of: same span (a group's three), same text,
/// and for a group, the same contents with the same spans.
fn same_input(input: &Input, spans: &Spans, tree: &TokenTree) -> Option<usize> {
    let index = match tree {
        TokenTree::Group(group) => {
            let index = (*spans.groups.get(&group_key(group))?)?;
            let TokenTree::Group(found) = input.tokens.get(index)? else {
                return None;
            };
            // A group the macro wrote anew may have the spans of the one it replaces.
            if fingerprint(&found.stream()) != fingerprint(&group.stream()) {
                return None;
            }
            index
        }
        _ => match spans.whole.get(&describe_span(tree.span()))? {
            Some(Place {
                index,
                part: Part::Whole,
            }) => *index,
            _ => return None,
        },
    };
    let found = input.tokens.get(index)?;
    let (mut a, mut b) = (String::new(), String::new());
    describe(tree, &mut a);
    describe(found, &mut b);
    (a == b).then_some(index)
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
        let span = match mark {
            b'c' => Span::call_site(),
            b'm' => Span::mixed_site(),
            b's' => self.place()?,
            b'C' => Span::call_site().located_at(self.place()?),
            b'M' => Span::mixed_site().located_at(self.place()?),
            b'J' => {
                let first = self.place()?;
                first.join(self.place()?)?
            }
            _ => return None,
        };
        self.last = Some(span);
        Some(span)
    }

    fn place(&mut self) -> Option<Span> {
        let part = match self.tape.byte()? {
            b'w' => Part::Whole,
            b'o' => Part::Open,
            b'x' => Part::Close,
            _ => return None,
        };
        self.input.span(Place {
            index: self.tape.num()?,
            part,
        })
    }
}

/// The value of a string literal written without escapes: built by `Literal::string` on
/// replay, which costs no call into the compiler (the replay check of `record` holds it).
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
        out.push_str(&describe_span(tree.span()));
        if let TokenTree::Group(group) = &tree {
            out.push_str(&describe_span(group.span_open()));
            out.push_str(&describe_span(group.span_close()));
            fingerprint_into(&group.stream(), out);
            out.push(')');
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests;
