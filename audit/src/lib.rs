//! `guarded-audit`: what `#[guarded]` makes of every handler of a crate, read by the macro's
//! own analysis (`guarded-macros-core`), and every place that runs SQL without it.
//!
//! [`audit`] reads the crate into a [`Report`]; `text`, `json` and `sarif` print it.

mod allow;
mod report;
pub mod sarif;
mod scan;
mod sources;
pub mod text;

use std::path::Path;

use guarded_macros_core::{Context, list, writes};

pub use guarded_macros_core::{ListedStatement, Run, TablePolicy};
pub use report::{GuardedFn, Handler, Refused, Report, UnguardedSite, Write};
pub use scan::GuardedItem;

/// Reads the crate whose manifest is `manifest`; `progress` is told each file as it is read.
pub fn audit(
    manifest: &Path,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<Report, String> {
    let dir = crate_dir(manifest)?;
    let ctx = Context::crate_dir(&dir);
    let allowed = allow::read(&dir)?;
    let files = sources::files(&dir)?;
    let mut report = Report {
        crate_name: crate_name(manifest)?,
        policy_file: dir
            .join("guarded.toml")
            .is_file()
            .then(|| "guarded.toml".to_owned()),
        ..Report::default()
    };
    let mut routes = Vec::new();
    let mut nests: Vec<scan::Nest> = Vec::new();
    let mut handlers = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let source = sources::parse(&dir, path)?;
        progress(i + 1, files.len(), &source.path);
        let scanned = scan::scan(&source.file);
        for route in scanned.routes {
            routes.push((source.path.clone(), route));
        }
        nests.extend(scanned.nests);
        for f in scanned.fns {
            handlers.push((source.path.clone(), f));
        }
        // A fn's `policy` key names a file relative to the source file, as for the macro.
        let in_file = ctx.clone().in_file(dir.join(path));
        for found in &scanned.guarded {
            let listing = list(found.attr.clone(), &found.item, &in_file);
            report
                .guarded
                .push(report::guarded(&source.path, found, listing));
        }
        for site in scanned.sites {
            let write = site.sql.as_deref().map_or(Write::Unknown, classify);
            report.unguarded.push(UnguardedSite {
                allowed: allowed.reason(&source.path, &site.in_fn),
                file: source.path.clone(),
                line: site.line,
                in_fn: site.in_fn,
                what: site.what,
                sql: site.sql,
                write,
            });
        }
    }
    // Statements of a guarded fn that run on another executor carry no predicate either.
    for f in &report.guarded {
        for s in f.statements.iter().filter(|s| !s.on_guard) {
            report.unguarded.push(UnguardedSite {
                allowed: allowed.reason(&f.file, &f.name),
                file: f.file.clone(),
                line: s.line(),
                in_fn: f.name.clone(),
                what: "#[guarded] fn, off the guard".to_owned(),
                sql: Some(s.written.clone()),
                write: if s.writes {
                    Write::Writes
                } else {
                    Write::Reads
                },
            });
        }
    }
    let routes = nested(routes, &nests);
    for f in &mut report.guarded {
        f.routes = routed(&routes, &f.file, &f.name);
    }
    for (file, f) in handlers {
        let routes = routed(&routes, &file, &f.name);
        if !routes.is_empty() && !f.guarded && !f.takes_guard {
            report.unguarded_handlers.push(Handler {
                name: f.name,
                file,
                line: f.line,
                routes,
            });
        }
    }
    report
        .unguarded
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(report)
}

/// Each route once per place its router is nested at.
fn nested(routes: Vec<(String, scan::Route)>, nests: &[scan::Nest]) -> Vec<(String, scan::Route)> {
    routes
        .into_iter()
        .flat_map(|(file, route)| {
            prefixes(nests, &route.in_fn, 0)
                .into_iter()
                .map(|prefix| {
                    let path = match (prefix.as_str(), route.path.as_str()) {
                        ("", path) => path.to_owned(),
                        (prefix, "/") => prefix.to_owned(),
                        (prefix, path) => format!("{prefix}{path}"),
                    };
                    let route = scan::Route {
                        handler: route.handler.clone(),
                        module: route.module.clone(),
                        method: route.method.clone(),
                        path,
                        in_fn: route.in_fn.clone(),
                    };
                    (file.clone(), route)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The prefixes the routes built in the fn `router` are served under: `.nest("/api", router())`
/// in another fn, itself perhaps nested; `""` when no fn nests it.
fn prefixes(nests: &[scan::Nest], router: &str, depth: usize) -> Vec<String> {
    let outer: Vec<&scan::Nest> = nests.iter().filter(|n| n.callee == router).collect();
    // A router that nests itself would never end: its routes stay at the depth reached.
    if outer.is_empty() || depth > 8 {
        return vec![String::new()];
    }
    outer
        .iter()
        .flat_map(|n| {
            prefixes(nests, &n.in_fn, depth + 1)
                .into_iter()
                .map(move |p| format!("{p}{}", n.prefix))
        })
        .collect()
}

/// The routes naming the fn `name` of `file`: a route's handler is a fn of that name in the
/// same target (`src/`, `tests/`, `examples/`, `benches/`), in the module the route's path
/// names when it names one (`users::register` is in `users.rs` or `users/mod.rs`).
fn routed(routes: &[(String, scan::Route)], file: &str, name: &str) -> Vec<String> {
    let target = |path: &str| path.split('/').next().unwrap_or_default().to_owned();
    let stem = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let module = if stem == "mod" {
        Path::new(file)
            .parent()
            .and_then(Path::file_name)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        stem
    };
    routes
        .iter()
        .filter(|(at, route)| {
            route.handler == name
                && target(at) == target(file)
                && route.module.as_ref().is_none_or(|m| *m == module)
        })
        .map(|(_, route)| format!("{} {}", route.method, route.path))
        .collect()
}

/// Every `#[guarded]` fn of the crate, as the macro receives it, with its file.
pub fn guarded_items(manifest: &Path) -> Result<Vec<(String, GuardedItem)>, String> {
    let dir = crate_dir(manifest)?;
    let mut all = Vec::new();
    for path in sources::files(&dir)? {
        let source = sources::parse(&dir, &path)?;
        for item in scan::scan(&source.file).guarded {
            all.push((source.path.clone(), item));
        }
    }
    Ok(all)
}

/// The directory of the crate whose manifest is `manifest`.
pub fn crate_dir(manifest: &Path) -> Result<std::path::PathBuf, String> {
    if manifest.file_name().is_none_or(|n| n != "Cargo.toml") {
        return Err(format!("{}: expected a Cargo.toml", manifest.display()));
    }
    let dir = manifest.parent().unwrap_or(Path::new("."));
    Ok(if dir.as_os_str().is_empty() {
        Path::new(".").to_path_buf()
    } else {
        dir.to_path_buf()
    })
}

fn crate_name(manifest: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let value: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", manifest.display()))?;
    value
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("{}: no [package] name", manifest.display()))
}

/// Whether `sql` writes: the macro's analysis reads it; where it cannot, a statement that
/// names a writing keyword writes, one that starts with a reading keyword reads, and anything
/// else may write (fail closed).
fn classify(sql: &str) -> Write {
    const WRITING: &[&str] = &[
        "INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "UPSERT", "CREATE", "DROP", "ALTER",
        "TRUNCATE", "GRANT", "REVOKE", "COPY",
    ];
    match writes(sql) {
        Some(true) => Write::Writes,
        Some(false) => Write::Reads,
        None => {
            let words: Vec<String> = sql
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .filter(|w| !w.is_empty())
                .map(str::to_ascii_uppercase)
                .collect();
            if words.iter().any(|w| WRITING.contains(&w.as_str())) {
                Write::Writes
            } else if words
                .first()
                .is_some_and(|w| ["SELECT", "EXPLAIN", "SHOW"].contains(&w.as_str()))
            {
                Write::Reads
            } else {
                Write::Unknown
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Write, classify};

    #[test]
    fn a_statement_of_unknown_effect_counts_as_a_write() {
        assert_eq!(classify("SELECT a FROM t WHERE b = ?"), Write::Reads);
        assert_eq!(classify("UPDATE t SET a = 1"), Write::Writes);
        assert_eq!(
            classify("WITH d AS (DELETE FROM t RETURNING a) SELECT a FROM d"),
            Write::Writes
        );
        // Several statements do not parse as one: a writing keyword decides.
        assert_eq!(classify("DELETE FROM a; DELETE FROM b"), Write::Writes);
        assert_eq!(classify("PRAGMA journal_mode = WAL"), Write::Unknown);
        assert_eq!(classify("VACUUM"), Write::Unknown);
    }
}
