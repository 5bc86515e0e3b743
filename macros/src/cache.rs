//! What earlier compilations of the crate computed, kept beside the build's output so that a
//! rebuild reads again only the fns it has not seen, and analyses only the statements it has
//! not seen.
//!
//! Proc macros are not incremental: after an edit to one handler, rustc runs the attribute on
//! every fn of the crate again. Two things are kept, each found by a hash of everything it is
//! a function of, and holding the whole of it, which a hit must equal byte for byte:
//!
//! - **A fn's expansion** ([`Cache::expansion`]), as a tape over the fn's own tokens
//!   (`tape`). The expansion is a function of the attribute's and the fn's tokens (kinds,
//!   texts, spacing, delimiters; not their places), of the crate's directory, the source
//!   file and `GUARDED_POLICY`, of the policy files it read, and of the code. The files are
//!   kept with the entry, contents or absence, and a hit reads them again. Places are not in
//!   the key: the macro chooses every span by the structure of the tokens, never by where
//!   they are, and the tape names each span by the input token it comes from (or the call or
//!   mixed site), so its replay over the same tokens elsewhere is the expansion they have
//!   there. Each token of a tape is checked as it is written against what the replay will
//!   build for it; `GUARDED_ANALYSIS_CACHE=check` expands every replayed fn again and fails
//!   the build where the two differ, token for token and span for span (the project's CI
//!   builds its examples and integration suite so). A fn with an error is not kept: it is
//!   read again, spans and all.
//! - **A statement's analysis** ([`Cache::analyses`]), for a fn read again (the edited one):
//!   the SQL analysis (lexing, parsing, injecting, splicing and verifying the splice) is a
//!   function of the statement's text, its backends, the policy the fn applies, and the code.
//!   Refusals are not kept.
//!
//! "The code" is this crate's sources (`build.rs` hashes them) and its build by cargo (a type
//! id, which changes with its version, its dependencies' versions and features, and the
//! compiler), both in every key, so a rebuilt or upgraded macro never reads another's entries.
//!
//! The directory is `guarded-analyses` beside the compiler's `--out-dir` (for cargo,
//! `target/<profile>/`), so it shares the trust and the life of the build's other outputs and
//! `cargo clean` removes it. A compiler run without `--out-dir` (rust-analyzer's proc-macro
//! server) and a tool calling the library keep no cache; `GUARDED_ANALYSIS_CACHE=0` turns it
//! off (the proc macro reads it, `guarded-macros`). An entry that cannot be read or decoded
//! is a miss, and entries are written whole (to a temporary file, then renamed), so
//! concurrent compilations never read half of one.

use std::any::TypeId;
use std::ffi::OsString;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};

use crate::backend::{Backends, Dialect};
use crate::policy::Claim;
use crate::sql::{Analyses, Analysis, Bind, ConflictCheck, ExistenceCheck, Policy};

/// The hash of this crate's sources, written by `build.rs`.
const SOURCES: &str = env!("GUARDED_MACROS_CORE_SOURCES");

/// The code, as the first line of every key: the sources' hash and this build's type id.
fn code() -> String {
    struct Marker;
    format!("{SOURCES} {:?}", TypeId::of::<Marker>())
}

/// A directory of analyses.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache of a compiler run with `args`: `guarded-analyses` beside its `--out-dir`;
    /// none without one. The proc macro passes the compiler's own arguments.
    pub fn beside_out_dir(args: impl IntoIterator<Item = OsString>) -> Option<Self> {
        let mut args = args.into_iter();
        let out = loop {
            let arg = args.next()?;
            if arg == "--out-dir" {
                break PathBuf::from(args.next()?);
            }
            if let Some(dir) = arg.to_str().and_then(|a| a.strip_prefix("--out-dir=")) {
                break PathBuf::from(dir);
            }
        };
        // cargo's `--out-dir` is `target/<profile>/deps`, whose files rustc searches for crates.
        let base = match out.file_name() {
            Some(name) if name == "deps" => out.parent()?.to_path_buf(),
            _ => out,
        };
        Some(Self::at(base.join("guarded-analyses")))
    }

    /// A cache in `dir`, created when the first entry is written.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `analyse`'s result for `sql` on `backends` under `policy`: the entry kept, or
    /// `analyse()` run and its success kept.
    pub fn analyses(
        &self,
        sql: &str,
        backends: Backends,
        policy: &Policy<'_>,
        analyse: impl FnOnce() -> Result<Analyses, String>,
    ) -> Result<Analyses, String> {
        let key = key(sql, backends, policy);
        let path = self.dir.join(format!("{:016x}", hash(&key)));
        if let Some(found) = read(&path, &key) {
            return Ok(found);
        }
        let analyses = analyse()?;
        // Failing to write costs the next build the analysis, nothing else.
        let _ = write(&self.dir, &path, &key, &analyses);
        Ok(analyses)
    }

    /// A fn's expansion: the tape kept for the same fn (`tape`), replayed over its tokens, or
    /// `expand`'s result, which is kept when `expand` names the files it read besides the fn's
    /// tokens (it expanded without an error). `context` is everything else the expansion reads
    /// (the crate, the source file, the environment). When `checking`, a replay is compared with
    /// the fn expanded again, and a difference is a compile error.
    pub fn expansion(
        &self,
        attr: TokenStream,
        item: TokenStream,
        context: &str,
        checking: bool,
        expand: impl FnOnce(TokenStream, TokenStream) -> (TokenStream, Option<Vec<PathBuf>>),
    ) -> TokenStream {
        let input = tape::Input::read(&attr, &item);
        let key = format!("{}\nexpansion\n{context}\n{}", code(), input.text);
        let path = self.dir.join(format!("fn-{:016x}", hash(&key)));
        let Some(replayed) = replay(&path, &key, &input) else {
            let (expanded, read) = expand(attr, item);
            if let Some(read) = read
                && let Some(tape) = tape::record(&input, &expanded)
            {
                // Failing to write costs the next build the replay, nothing else.
                let _ = keep(&self.dir, &path, &key, &read, &tape);
            }
            return expanded;
        };
        if !checking {
            return replayed;
        }
        let (expanded, _) = expand(attr, item);
        if tape::fingerprint(&expanded) == tape::fingerprint(&replayed) {
            // What the build that checks counts, so that it knows it checked something.
            eprintln!("#[guarded]: replay checked");
            return replayed;
        }
        let error = syn::Error::new(
            Span::call_site(),
            "#[guarded]: the expansion replayed from the cache differs from this fn's \
             expansion (please report it; GUARDED_ANALYSIS_CACHE=0 turns the cache off)",
        )
        .to_compile_error();
        quote::quote!(#error #expanded)
    }
}

/// Everything the analysis reads, as text.
fn key(sql: &str, backends: Backends, policy: &Policy<'_>) -> String {
    format!("{}\n{backends:?}\n{policy:?}\n{}:{sql}", code(), sql.len())
}

fn hash(key: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// The expansion kept at `path` for `key`, replayed over `input`, if the files it read are
/// as they were.
fn replay(path: &Path, key: &str, input: &tape::Input) -> Option<TokenStream> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut reader = Reader::new(&text);
    if reader.str()? != key {
        return None;
    }
    let unchanged = reader.many(|r| {
        let path = r.str()?;
        let kept = match r.byte()? {
            b'-' => None,
            b'+' => Some(r.str()?),
            _ => return None,
        };
        Some(match std::fs::read_to_string(path) {
            Ok(now) => kept == Some(now.as_str()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => kept.is_none(),
            Err(_) => false,
        })
    })?;
    if !unchanged.into_iter().all(|same| same) {
        return None;
    }
    tape::replay(input, reader)
}

/// Keeps `tape` for `key` with the files the expansion read, as they are now.
fn keep(dir: &Path, path: &Path, key: &str, read: &[PathBuf], tape: &str) -> std::io::Result<()> {
    let mut text = String::new();
    put_str(&mut text, key);
    put_num(&mut text, read.len());
    for file in read {
        let name = file.to_str().ok_or(std::io::ErrorKind::InvalidData)?;
        put_str(&mut text, name);
        match std::fs::read_to_string(file) {
            Ok(contents) => {
                text.push('+');
                put_str(&mut text, &contents);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => text.push('-'),
            Err(e) => return Err(e),
        }
    }
    text.push_str(tape);
    write_whole(dir, path, &text)
}

fn read(path: &Path, key: &str) -> Option<Analyses> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut reader = Reader::new(&text);
    if reader.str()? != key {
        return None;
    }
    let analyses = reader.analyses()?;
    reader.is_empty().then_some(analyses)
}

fn write(dir: &Path, path: &Path, key: &str, analyses: &Analyses) -> std::io::Result<()> {
    let mut text = String::new();
    put_str(&mut text, key);
    put_analyses(&mut text, analyses);
    write_whole(dir, path, &text)
}

/// `text` written to `path` whole: to a temporary file, then renamed.
fn write_whole(dir: &Path, path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

// The encoding: a number is its digits and `;`, a string its length in bytes, `:` and its
// bytes, a flag `0` or `1`, an absent value `-`.

fn put_num(out: &mut String, n: usize) {
    put_digits(out, n);
    out.push(';');
}

fn put_str(out: &mut String, s: &str) {
    put_digits(out, s.len());
    out.push(':');
    out.push_str(s);
}

/// `n` in decimal, without the formatting machinery (see [`Reader`]).
fn put_digits(out: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b"0123456789"[n % 10];
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

fn put_flag(out: &mut String, flag: bool) {
    out.push(if flag { '1' } else { '0' });
}

fn put_claim(out: &mut String, claim: &Claim) {
    put_str(out, claim.name());
}

fn put_binds(out: &mut String, binds: &[Bind]) {
    put_num(out, binds.len());
    for bind in binds {
        match bind {
            Bind::User(i) => {
                out.push('u');
                put_num(out, *i);
            }
            Bind::Subject => out.push('s'),
            Bind::Claim(claim) => {
                out.push('c');
                put_claim(out, claim);
            }
        }
    }
}

fn put_analyses(out: &mut String, analyses: &Analyses) {
    put_num(out, analyses.each().len());
    for (dialect, analysis) in analyses.each() {
        out.push(match dialect {
            Dialect::Postgres => 'p',
            Dialect::MySql => 'm',
            Dialect::Sqlite => 's',
        });
        put_analysis(out, analysis);
    }
}

fn put_analysis(out: &mut String, a: &Analysis) {
    put_str(out, &a.sql);
    put_binds(out, &a.binds);
    put_num(out, a.user_params);
    for flag in [
        a.guarded,
        a.writes,
        a.zero_rows_denies,
        a.nested_write,
        a.returns_rows,
        a.validity,
    ] {
        put_flag(out, flag);
    }
    put_num(out, a.rows);
    match &a.existence_check {
        None => out.push('-'),
        Some(check) => {
            out.push('+');
            put_str(out, &check.sql);
            put_num(out, check.binds.len());
            for i in &check.binds {
                put_num(out, *i);
            }
            put_flag(out, check.lookup);
            put_flag(out, check.scoped);
        }
    }
    put_num(out, a.conflicts.len());
    for check in &a.conflicts {
        match &check.code {
            None => out.push('-'),
            Some(code) => {
                out.push('+');
                put_str(out, code);
            }
        }
        put_str(out, &check.sql);
        put_binds(out, &check.binds);
    }
}

/// The rest of an entry's text; each method takes one value off its front. Read byte by
/// byte, by hand: the proc macro runs unoptimised in the default profile, where `str`'s
/// searching and parsing cost several times a loop over bytes.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, at: 0 }
    }

    fn is_empty(&self) -> bool {
        self.at >= self.text.len()
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.text.as_bytes().get(self.at)?;
        self.at += 1;
        Some(b)
    }

    /// Digits up to `end` (at most 19, which a `usize` holds).
    fn digits(&mut self, end: u8) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut at = self.at;
        let mut n: usize = 0;
        while at < bytes.len() {
            let b = bytes[at];
            at += 1;
            if b == end {
                self.at = at;
                return Some(n);
            }
            // A 20th digit could overflow: a damaged entry, which is a miss.
            if !b.is_ascii_digit() || at - self.at > 19 {
                return None;
            }
            n = n * 10 + usize::from(b - b'0');
        }
        None
    }

    fn num(&mut self) -> Option<usize> {
        self.digits(b';')
    }

    fn str(&mut self) -> Option<&'a str> {
        let len = self.digits(b':')?;
        let end = self.at.checked_add(len)?;
        let s = self.text.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    /// What is left unread.
    fn left(&self) -> usize {
        self.text.len().saturating_sub(self.at)
    }

    fn flag(&mut self) -> Option<bool> {
        match self.byte()? {
            b'0' => Some(false),
            b'1' => Some(true),
            _ => None,
        }
    }

    /// `count` values read by `each`, refusing a count larger than the text could hold.
    fn many<T>(&mut self, mut each: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let count = self.num()?;
        if count > self.left() {
            return None;
        }
        (0..count).map(|_| each(self)).collect()
    }

    fn binds(&mut self) -> Option<Vec<Bind>> {
        self.many(|r| match r.byte()? {
            b'u' => Some(Bind::User(r.num()?)),
            b's' => Some(Bind::Subject),
            b'c' => Some(Bind::Claim(Claim::named(r.str()?))),
            _ => None,
        })
    }

    fn analyses(&mut self) -> Option<Analyses> {
        let each = self.many(|r| {
            let dialect = match r.byte()? {
                b'p' => Dialect::Postgres,
                b'm' => Dialect::MySql,
                b's' => Dialect::Sqlite,
                _ => return None,
            };
            Some((dialect, r.analysis()?))
        })?;
        (!each.is_empty()).then(|| Analyses::from_each(each))
    }

    fn analysis(&mut self) -> Option<Analysis> {
        let sql = self.str()?.to_owned();
        let binds = self.binds()?;
        let user_params = self.num()?;
        let [
            guarded,
            writes,
            zero_rows_denies,
            nested_write,
            returns_rows,
            validity,
        ] = [(); 6].map(|()| self.flag());
        let rows = self.num()?;
        let existence_check = match self.byte()? {
            b'-' => None,
            b'+' => Some(ExistenceCheck {
                sql: self.str()?.to_owned(),
                binds: self.many(Self::num)?,
                lookup: self.flag()?,
                scoped: self.flag()?,
            }),
            _ => return None,
        };
        let conflicts = self.many(|r| {
            let code = match r.byte()? {
                b'-' => None,
                b'+' => Some(r.str()?.to_owned()),
                _ => return None,
            };
            Some(ConflictCheck {
                code,
                sql: r.str()?.to_owned(),
                binds: r.binds()?,
            })
        })?;
        Some(Analysis {
            sql,
            binds,
            user_params,
            guarded: guarded?,
            writes: writes?,
            zero_rows_denies: zero_rows_denies?,
            rows,
            nested_write: nested_write?,
            returns_rows: returns_rows?,
            existence_check,
            validity: validity?,
            conflicts,
        })
    }
}

mod tape;

#[cfg(test)]
mod tests;
