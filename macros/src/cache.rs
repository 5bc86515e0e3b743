//! The SQL analyses of earlier compilations, kept beside the build's output so that a rebuild
//! analyses only the statements it has not seen.
//!
//! Proc macros are not incremental: after an edit to one handler, rustc runs the attribute on
//! every fn of the crate again, and the SQL analysis (lexing, parsing, injecting, splicing and
//! verifying the splice) is the largest part of the attribute's own work. The analysis is a
//! function of the statement's text, its backends and the policy the fn applies, and of the
//! code that analyses; an entry is found by a hash of all four and kept with the whole of the
//! first three, which a hit must equal byte for byte. "The code" is this crate's sources
//! (`build.rs` hashes them) and its build by cargo (a type id, which changes with its
//! version, its dependencies' versions and features, and the compiler), so a rebuilt or
//! upgraded macro never reads another's entries.
//!
//! The directory is `guarded-analyses` beside the compiler's `--out-dir` (for cargo,
//! `target/<profile>/`), so it shares the trust and the life of the build's other outputs and
//! `cargo clean` removes it. A compiler run without `--out-dir` (rust-analyzer's proc-macro
//! server) and a tool calling the library keep no cache; `GUARDED_ANALYSIS_CACHE=0` turns it
//! off (the proc macro reads it, `guarded-macros`). Refusals are not kept: they are analysed again, spans and all. An entry that cannot be
//! read or decoded is a miss, and entries are written whole (to a temporary file, then
//! renamed), so concurrent compilations never read half of one.

use std::any::TypeId;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::backend::{Backends, Dialect};
use crate::policy::Claim;
use crate::sql::{Analyses, Analysis, Bind, ConflictCheck, ExistenceCheck, Policy};

/// The hash of this crate's sources, written by `build.rs`.
const SOURCES: &str = env!("GUARDED_MACROS_CORE_SOURCES");

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
}

/// Everything the analysis reads, as text.
fn key(sql: &str, backends: Backends, policy: &Policy<'_>) -> String {
    format!("{SOURCES}\n{backends:?}\n{policy:?}\n{}:{sql}", sql.len())
}

fn hash(key: &str) -> u64 {
    struct Marker;
    let mut hasher = DefaultHasher::new();
    TypeId::of::<Marker>().hash(&mut hasher);
    key.hash(&mut hasher);
    hasher.finish()
}

fn read(path: &Path, key: &str) -> Option<Analyses> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut reader = Reader(text.as_str());
    if reader.str()? != key {
        return None;
    }
    let analyses = reader.analyses()?;
    reader.0.is_empty().then_some(analyses)
}

fn write(dir: &Path, path: &Path, key: &str, analyses: &Analyses) -> std::io::Result<()> {
    let mut text = String::new();
    put_str(&mut text, key);
    put_analyses(&mut text, analyses);
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
    let _ = write!(out, "{n};");
}

fn put_str(out: &mut String, s: &str) {
    let _ = write!(out, "{}:{s}", s.len());
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

/// The rest of an entry's text; each method takes one value off its front.
struct Reader<'a>(&'a str);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.0.as_bytes().first()?;
        self.0 = self.0.get(1..)?;
        Some(b)
    }

    fn num(&mut self) -> Option<usize> {
        let (digits, rest) = self.0.split_once(';')?;
        self.0 = rest;
        digits.parse().ok()
    }

    fn str(&mut self) -> Option<&'a str> {
        let (len, rest) = self.0.split_once(':')?;
        let len: usize = len.parse().ok()?;
        let s = rest.get(..len)?;
        self.0 = rest.get(len..)?;
        Some(s)
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
        if count > self.0.len() {
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

#[cfg(test)]
mod tests;
