//! Every fn of sqlx's public API that takes SQL is judged by the walk, by signature rather
//! than by a list that could miss one: the test reads the sources of the sqlx crates this
//! workspace builds (their versions from `Cargo.lock`, in cargo's registry), finds each `pub`
//! fn, inherent method and trait method with a parameter that carries SQL, and calls it inside
//! a guarded body with a statement that deletes every owner's row. Each call must be refused.
//!
//! A parameter carries SQL when its type names `SqlStr` or `SqlSafeStr`, or is a generic bound
//! by `Execute` or `SqlSafeStr`, or it is text (`str`, `String`, `Cow`, `Display`) named as sqlx
//! names SQL (`sql`, `query`, `statement`, `stmt`). A fn that takes SQL only to make a value
//! runs nothing; the call that runs that value is judged, so such a fn is listed in
//! [`MAKES_A_VALUE`] with why, and the list must match what the scan finds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::visit::{self, Visit};
use syn::{FnArg, Generics, Pat, Signature, Visibility};

use crate::executors::tests::errors;

/// The sqlx crates whose public fns can reach a database.
const CRATES: &[&str] = &[
    "sqlx",
    "sqlx-core",
    "sqlx-postgres",
    "sqlx-sqlite",
    "sqlx-mysql",
];

/// The names sqlx gives a text parameter that holds SQL.
const SQL_NAMES: &[&str] = &["sql", "query", "statement", "stmt"];

/// Fns that take SQL and return a value without running it, each by its name and file, with
/// why that is enough.
const MAKES_A_VALUE: &[(&str, &str, &str)] = &[
    (
        "from_static",
        "sql_str.rs",
        "`SqlStr::from_static` wraps text; whatever runs it is judged",
    ),
    (
        "push",
        "query_builder.rs",
        "`QueryBuilder` is refused where it is named, and its `build` is run by a judged call",
    ),
    ("push_unseparated", "query_builder.rs", "as `push`"),
    (
        "parse_query_summary",
        "logger.rs",
        "formats SQL for the log",
    ),
    (
        "checksum",
        "migration.rs",
        "hashes a migration's text; migrations are refused",
    ),
    (
        "new",
        "logger.rs",
        "`QueryLogger::new` logs a statement something else runs",
    ),
    (
        "new",
        "migration.rs",
        "`Migration::new`: `Migration` is refused where it is named, and `Migrate::apply`, \
         which runs one, is judged",
    ),
    (
        "new",
        "migrator.rs",
        "`Migrator::new`: `Migrator` is refused where it is named",
    ),
];

/// The SQL every call is given: a write to the guarded table, refused off the guard.
const SQL: &str = "\"DELETE FROM items\"";

#[test]
fn every_sqlx_fn_that_takes_sql_is_judged() {
    let found = scan();
    assert!(
        [
            "copy_in_raw",
            "copy_out_raw",
            "begin_with",
            "raw_sql",
            "execute",
            "execute_many"
        ]
        .iter()
        .all(|name| found.iter().any(|f| f.name == *name)),
        "the scan misses fns it must find: {found:#?}"
    );
    let mut unjudged = Vec::new();
    let mut values = BTreeSet::new();
    for fun in &found {
        if let Some((name, file, _)) = MAKES_A_VALUE
            .iter()
            .find(|(name, file, _)| *name == fun.name && fun.at.ends_with(file))
        {
            values.insert((*name, *file));
            continue;
        }
        for call in fun.calls() {
            if errors(&format!("{{ let _ = {call}; }}")).is_empty() {
                unjudged.push(format!("{call}  ({})", fun.at));
            }
        }
    }
    assert!(
        unjudged.is_empty(),
        "calls of sqlx that run SQL and compile in a guarded fn: {unjudged:#?}"
    );
    let listed: BTreeSet<(&str, &str)> = MAKES_A_VALUE.iter().map(|(n, f, _)| (*n, *f)).collect();
    assert_eq!(
        values, listed,
        "`MAKES_A_VALUE` lists a fn the scan no longer finds"
    );
}

/// A fn that takes SQL.
#[derive(Debug, Clone)]
struct Found {
    name: String,
    /// Whether it takes `self`.
    method: bool,
    /// Whether it is a free fn (not in an impl or trait).
    free: bool,
    /// For each parameter after `self`, whether it carries SQL.
    params: Vec<bool>,
    /// Where it is, for the failure message.
    at: String,
}

impl Found {
    /// Every way to call it: as a method, through a path, and (a free fn) by its name alone.
    fn calls(&self) -> Vec<String> {
        let args: Vec<&str> = self
            .params
            .iter()
            .map(|sql| if *sql { SQL } else { "x" })
            .collect();
        let name = &self.name;
        let mut calls = Vec::new();
        if self.method {
            calls.push(format!("conn.{name}({})", args.join(", ")));
            let with_receiver: Vec<&str> = std::iter::once("&mut conn").chain(args).collect();
            calls.push(format!("sqlx::T::{name}({})", with_receiver.join(", ")));
        } else {
            calls.push(format!("sqlx::T::{name}({})", args.join(", ")));
            if self.free {
                calls.push(format!("{name}({})", args.join(", ")));
            }
        }
        calls
    }
}

/// Every fn of [`CRATES`] that takes SQL, under its own name and every name a `pub use ..
/// as ..` gives it.
fn scan() -> Vec<Found> {
    let mut found = Vec::new();
    let mut renames = Vec::new();
    for dir in sources() {
        for file in rust_files(&dir) {
            let text = std::fs::read_to_string(&file).expect("read a sqlx source");
            let Ok(ast) = syn::parse_file(&text) else {
                panic!("{} does not parse", file.display());
            };
            let mut scanner = Scanner {
                at: file.display().to_string(),
                found: &mut found,
                renames: &mut renames,
                outer: Vec::new(),
                spliced: 0,
            };
            scanner.visit_file(&ast);
        }
    }
    let aliased: Vec<Found> = renames
        .iter()
        .flat_map(|(from, to)| {
            found
                .iter()
                .filter(move |f| f.name == *from)
                .map(move |f| Found {
                    name: to.clone(),
                    at: format!("{} (as {to})", f.at),
                    ..f.clone()
                })
        })
        .collect();
    found.extend(aliased);
    found
}

struct Scanner<'a> {
    at: String,
    found: &'a mut Vec<Found>,
    /// `pub use path::name as other`: `(name, other)`.
    renames: &'a mut Vec<(String, String)>,
    /// The generics of the impl or trait around the fn.
    outer: Vec<Generics>,
    /// Inside a trait of [`SPLICING_TRAITS`].
    spliced: usize,
}

/// sqlx's traits whose methods splice their text arguments (a table, schema or database name,
/// a URL) into SQL they run.
const SPLICING_TRAITS: &[&str] = &["Migrate", "MigrateDatabase", "TestSupport"];

impl Scanner<'_> {
    fn signature(&mut self, sig: &Signature, free: bool) {
        let mut bounds: BTreeMap<String, String> = BTreeMap::new();
        for generics in self.outer.iter().chain(std::iter::once(&sig.generics)) {
            for param in generics.type_params() {
                let entry = bounds.entry(param.ident.to_string()).or_default();
                entry.push_str(&param.bounds.to_token_stream().to_string());
            }
            for predicate in generics.where_clause.iter().flat_map(|w| &w.predicates) {
                if let syn::WherePredicate::Type(t) = predicate {
                    let entry = bounds
                        .entry(t.bounded_ty.to_token_stream().to_string())
                        .or_default();
                    entry.push_str(&t.bounds.to_token_stream().to_string());
                }
            }
        }
        let mut method = false;
        let mut params = Vec::new();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(_) => method = true,
                FnArg::Typed(typed) => {
                    let ty = typed.ty.to_token_stream().to_string();
                    let name = match &*typed.pat {
                        Pat::Ident(ident) => ident.ident.to_string(),
                        _ => String::new(),
                    };
                    let spliced = self.spliced > 0;
                    params.push(carries_sql(&ty, &name, &bounds, spliced));
                }
            }
        }
        if params.iter().any(|sql| *sql) {
            self.found.push(Found {
                name: sig.ident.to_string(),
                method,
                free,
                params,
                at: self.at.clone(),
            });
        }
    }
}

/// Whether a parameter of type `ty` named `name` carries SQL; `spliced` when every text
/// parameter of the fn is spliced into SQL it runs.
fn carries_sql(ty: &str, name: &str, bounds: &BTreeMap<String, String>, spliced: bool) -> bool {
    let sql_type = |text: &str| {
        ["SqlStr", "SqlSafeStr", "Execute", "Migration"]
            .iter()
            .any(|t| text.contains(t))
    };
    let bound = bounds.get(ty).is_some_and(|b| sql_type(b));
    let text = ["str", "String", "Cow", "Display"]
        .iter()
        .any(|t| ty.contains(t));
    sql_type(ty) || bound || (text && (spliced || SQL_NAMES.contains(&name)))
}

impl<'ast> Visit<'ast> for Scanner<'_> {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if matches!(item.vis, Visibility::Public(_)) {
            self.signature(&item.sig, true);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        // A trait's methods are read where the trait is declared.
        if item.trait_.is_some() {
            return;
        }
        self.outer.push(item.generics.clone());
        for member in &item.items {
            if let syn::ImplItem::Fn(f) = member
                && matches!(f.vis, Visibility::Public(_))
            {
                self.signature(&f.sig, false);
            }
        }
        self.outer.pop();
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        if !matches!(item.vis, Visibility::Public(_)) {
            return;
        }
        let spliced = usize::from(SPLICING_TRAITS.iter().any(|t| item.ident == t));
        self.spliced += spliced;
        self.outer.push(item.generics.clone());
        for member in &item.items {
            if let syn::TraitItem::Fn(f) = member {
                self.signature(&f.sig, false);
            }
        }
        self.outer.pop();
        self.spliced -= spliced;
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        visit::visit_item_mod(self, item);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if matches!(item.vis, Visibility::Public(_)) {
            visit::visit_item_use(self, item);
        }
    }

    fn visit_use_rename(&mut self, rename: &'ast syn::UseRename) {
        self.renames
            .push((rename.ident.to_string(), rename.rename.to_string()));
    }
}

/// The `src/` of each of [`CRATES`].
fn sources() -> Vec<PathBuf> {
    CRATES.iter().map(|name| source(name)).collect()
}

/// The `src/` of the crate `name` at the version `Cargo.lock` resolves, in cargo's registry.
pub(crate) fn source(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).expect("Cargo.lock");
    let lock: toml::Table = toml::from_str(&lock).expect("Cargo.lock parses");
    let packages = lock["package"].as_array().expect("packages");
    let versions: Vec<&str> = packages
        .iter()
        .filter(|p| p["name"].as_str() == Some(name))
        .map(|p| p["version"].as_str().expect("version"))
        .collect();
    assert_eq!(versions.len(), 1, "one {name} in Cargo.lock: {versions:?}");
    let dir = format!("{name}-{}", versions[0]);
    let home = std::env::var_os("CARGO_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"),
        PathBuf::from,
    );
    let find = || {
        std::fs::read_dir(home.join("registry/src"))
            .ok()?
            .map(|entry| entry.expect("registry entry").path().join(&dir).join("src"))
            .find(|src| src.is_dir())
    };
    // A crate only an optional feature uses (the AWS SDK) is not downloaded by a plain
    // `cargo test` on a fresh machine: fetch what `Cargo.lock` names, once.
    find()
        .or_else(|| {
            fetch(&root);
            find()
        })
        .unwrap_or_else(|| panic!("{dir} is not in cargo's registry, even after `cargo fetch`"))
}

/// `cargo fetch` for the workspace at `root`, given five minutes.
fn fetch(root: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = std::process::Command::new(cargo)
        .args(["fetch", "--quiet", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .spawn()
        .expect("cargo runs");
    for _ in 0..300 {
        if child.try_wait().expect("cargo fetch").is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    let _ = child.kill();
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a source dir") {
        let path = entry.expect("a source entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}
