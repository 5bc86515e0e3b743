//! The report, as data: what `--json` prints, and what the text and SARIF outputs are made of.

use guarded_macros_core::{ListedStatement, Listing, TablePolicy};
use serde::Serialize;

use crate::scan::GuardedItem;

/// What the audit found in one crate.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The package's name.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// `guarded.toml`, when the crate has one.
    pub policy_file: Option<String>,
    /// Every `#[guarded]` fn, in the order of the files and of each file.
    pub guarded: Vec<GuardedFn>,
    /// Every place that runs SQL without the guard, by file and line.
    pub unguarded: Vec<UnguardedSite>,
    /// Every routed handler that takes no guard.
    pub unguarded_handlers: Vec<Handler>,
}

impl Report {
    /// The unguarded writes no reviewer accepted (`[audit.allow]`): what `--deny-unguarded`
    /// refuses.
    pub fn denied(&self) -> impl Iterator<Item = &UnguardedSite> {
        self.unguarded
            .iter()
            .filter(|s| s.write != Write::Reads && s.allowed.is_none())
    }
}

/// A `#[guarded]` fn, as the macro reads it.
#[derive(Debug, Serialize)]
pub struct GuardedFn {
    /// The fn's name.
    pub name: String,
    /// Its file, relative to the crate.
    pub file: String,
    /// The line of its name.
    pub line: usize,
    /// `PUT /items/{id}`: each route of the crate's router naming it.
    pub routes: Vec<String>,
    /// The databases its statements run on.
    pub backends: Vec<&'static str>,
    /// Its guarded tables and their policy.
    pub tables: Vec<TablePolicy>,
    /// `[token] valid`.
    pub token: Option<String>,
    /// The fn's own policy file (its `policy` key), relative to the crate: its tables'
    /// rules are that file's, not the crate's.
    pub policy_file: Option<String>,
    /// Tables it writes without a predicate (`unguarded = "..."`).
    pub unguarded_tables: Vec<String>,
    /// The status of a denial (404, or 403 with `deny = 403`).
    pub deny: u16,
    /// Its statements, each as written and as it runs.
    pub statements: Vec<ListedStatement>,
    /// The macro's errors: the fn does not compile.
    pub refusals: Vec<Refused>,
}

/// An error of the macro on a fn.
#[derive(Debug, Serialize)]
pub struct Refused {
    /// Where it points.
    pub line: usize,
    /// The compile error's text.
    pub message: String,
}

/// Whether a statement writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Write {
    /// It reads only.
    Reads,
    /// It writes.
    Writes,
    /// Its SQL is not a literal, or does not parse: it may write.
    Unknown,
}

/// A place that runs SQL without the guard.
#[derive(Debug, Serialize)]
pub struct UnguardedSite {
    /// Its file, relative to the crate.
    pub file: String,
    /// Its line.
    pub line: usize,
    /// The fn it is in.
    pub in_fn: String,
    /// What runs it.
    pub what: String,
    /// The SQL, when a literal holds it.
    pub sql: Option<String>,
    /// Whether it writes.
    pub write: Write,
    /// The reason `[audit.allow]` gives, when a reviewer accepted it.
    pub allowed: Option<String>,
}

/// A routed handler that takes no guard.
#[derive(Debug, Serialize)]
pub struct Handler {
    /// The fn's name.
    pub name: String,
    /// Its file.
    pub file: String,
    /// The line of its name.
    pub line: usize,
    /// Its routes.
    pub routes: Vec<String>,
}

pub fn guarded(file: &str, found: &GuardedItem, listing: Listing) -> GuardedFn {
    // An error on the attribute as a whole points at no token of the fn outside a compiler:
    // it is shown at the fn's first line.
    let first = found.item.sig.fn_token.span.start().line;
    let last = found.item.block.brace_token.span.close().end().line;
    let within = |line: usize| {
        if (first..=last).contains(&line) {
            line
        } else {
            first
        }
    };
    GuardedFn {
        name: found.item.sig.ident.to_string(),
        file: file.to_owned(),
        line: found.item.sig.ident.span().start().line,
        routes: Vec::new(),
        backends: listing.backends,
        tables: listing.tables,
        token: listing.token,
        policy_file: listing.policy.as_deref().map(|named| beside(file, named)),
        unguarded_tables: listing.unguarded,
        deny: listing.deny,
        statements: listing.statements,
        refusals: listing
            .refusals
            .iter()
            .map(|r| Refused {
                line: within(r.span.start().line),
                message: r.message.clone(),
            })
            .collect(),
    }
}

/// The path `named` names from the source file `file`, both relative to the crate; `..`
/// folded where it can be.
fn beside(file: &str, named: &str) -> String {
    use std::path::{Component, Path, PathBuf};
    let joined = Path::new(file)
        .parent()
        .unwrap_or(Path::new(""))
        .join(named);
    let mut path = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(path.components().next_back(), Some(Component::Normal(_))) =>
            {
                path.pop();
            }
            other => path.push(other),
        }
    }
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_named_file_is_shown_from_the_crate() {
        assert_eq!(super::beside("src/lib.rs", "own.toml"), "src/own.toml");
        assert_eq!(
            super::beside("src/handlers/items.rs", "../../policies/./a.toml"),
            "policies/a.toml"
        );
        assert_eq!(super::beside("src/lib.rs", "../../up.toml"), "../up.toml");
        assert_eq!(super::beside("src/lib.rs", "/etc/a.toml"), "/etc/a.toml");
    }
}
