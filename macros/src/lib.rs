//! The analysis and expansion of the `#[guarded]` attribute, as a library: the proc macro
//! (`guarded-macros`, used through the `guarded` crate) forwards to [`expand`], and tools that
//! list what the macro generates (`guarded-audit`) call [`list`], so both read a fn through
//! the same stages. Use the attribute through the `guarded` crate, whose documentation
//! describes what it guarantees.
//!
//! Stages, one file each, run by `expand::attribute`:
//! `args` (the attribute) -> `signature` (the guard parameter, the dialect) -> `policy` (the
//! crate's `guarded.toml` read into the backend-neutral policy model: tables, owner columns,
//! grants per operation, conditions, scopes, versions, `[token] valid`, each rule parsed once;
//! merged with the attribute's `owner` by `args`) -> `body` (the
//! one walk: finds every statement with `sites`, judges other calls that run SQL with
//! `executors`, analyses each statement with `sql`, lifts it out of the body) -> `model` (all
//! of it, as data, each statement owning its syntax) -> `check` (the fail-closed rules on the
//! lifted statements, and the fn's shape) -> `replace` and `site` (the holes filled by index)
//! -> `expand` (the fn around it). `exec` is the list of executor methods shared
//! with the runtime; `ctxt` collects every error; `fallback` is the error path; `shield` turns
//! a panic into a compile error; `listing` is the model as data for tools.
//!
//! `pipeline` is what both backends implement (lift, check, fill) and the driver that runs
//! them. A `Guard<DynamoDb>` fn (told by `signature`) runs the stages of `dynamo` (its own
//! module) after `args`: it renders the policy model for the runtime (each table defined once
//! per fn), lifts every use of the guard out of the body, judges each, and fills each hole
//! with a request chain handed to the runtime, which adds the owner's condition;
//! `dynamo::operation` is the one list of the client's operations, mirrored by the runtime as
//! `exec` is.

mod args;
mod backend;
mod body;
mod cache;
mod check;
mod ctxt;
mod dynamo;
mod exec;
mod executors;
mod expand;
mod fallback;
mod listing;
mod model;
mod pipeline;
mod policy;
mod replace;
mod returns;
mod shield;
mod signature;
mod site;
mod sites;
mod sql;
#[cfg(test)]
mod sqlx_api;

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;

pub use listing::{
    ListedStatement, Listing, Refusal, Run, TablePolicy, list, sql_entry, sql_method, writes,
};

/// Where the fn being read is: the policy file, `guarded.toml`, is read next to its crate's
/// `Cargo.toml`, and a `policy = "path"` key of the attribute names a file relative to the
/// source file holding the attribute (as `include_str!` reads its path). The proc macro takes
/// both from the compiler ([`Context::from_env`], [`Context::in_file`]); a tool names them.
#[derive(Debug, Clone, Default)]
pub struct Context {
    dir: Option<PathBuf>,
    file: Option<PathBuf>,
    cache: Option<cache::Cache>,
    checking: bool,
}

impl Context {
    /// The crate cargo is compiling (`CARGO_MANIFEST_DIR`); none outside cargo.
    pub fn from_env() -> Self {
        Self {
            dir: std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
            file: None,
            cache: None,
            checking: false,
        }
    }

    /// The crate whose `Cargo.toml` is in `dir`.
    pub fn crate_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: Some(dir.into()),
            file: None,
            cache: None,
            checking: false,
        }
    }

    /// The same crate, reading a fn written in `file`: the path of the source file, absolute
    /// (the expansion includes the policy file by its path, which the compiler would otherwise
    /// resolve from the source file's directory).
    #[must_use]
    pub fn in_file(self, file: impl Into<PathBuf>) -> Self {
        Self {
            file: Some(file.into()),
            ..self
        }
    }

    /// The same, keeping the SQL analyses of a compiler run with `args` beside its output for
    /// the next build (see the `cache` module); a run without `--out-dir` keeps none.
    #[must_use]
    pub fn caching_analyses(self, args: impl IntoIterator<Item = std::ffi::OsString>) -> Self {
        Self {
            cache: cache::Cache::beside_out_dir(args),
            ..self
        }
    }

    /// The same, expanding again every fn whose expansion the cache replays, and failing the
    /// build where the two differ: how the project's CI checks the cache on its own crates.
    #[must_use]
    pub fn checking_replays(self) -> Self {
        Self {
            checking: true,
            ..self
        }
    }

    /// What an expansion reads besides the fn's tokens and the policy files, as text: the
    /// crate, the source file, and where the crate's policy file is ([`policy::OVERRIDE`]).
    fn describe(&self) -> String {
        format!(
            "{:?}\n{:?}\n{:?}",
            self.dir,
            self.file,
            std::env::var_os(policy::OVERRIDE)
        )
    }

    /// The crate's directory, if known.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The source file holding the attribute, if known.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    fn cache(&self) -> Option<&cache::Cache> {
        self.cache.as_ref()
    }
}

/// `#[guarded(attr)] item`, expanded: the fn with the ownership predicate in every statement,
/// or its signature next to every error found. A panic of the analysis becomes an error on
/// the attribute (please report it).
///
/// With a cache ([`Context::caching_analyses`]), a fn whose tokens, policy files and context
/// an earlier compilation expanded without an error is not read again: its expansion is
/// replayed from the cache (the `cache` module says why that is the same expansion).
pub fn expand(attr: TokenStream, item: TokenStream, ctx: &Context) -> TokenStream {
    let expand = |attr, item| {
        let mut read = None;
        let tokens = shield::catching(attr, item, |attr, item| {
            let (tokens, files) = expand::attribute(attr, item, ctx);
            read = files;
            tokens
        });
        (tokens, read)
    };
    match ctx.cache() {
        Some(cache) => cache.expansion(attr, item, &ctx.describe(), ctx.checking, expand),
        None => expand(attr, item).0,
    }
}
