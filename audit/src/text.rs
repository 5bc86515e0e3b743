//! The readable listing: the guarded fns grouped by route, then the SQL that runs unguarded
//! and the handlers that take no guard.

use std::fmt::Write as _;

use guarded_macros_core::TablePolicy;

use crate::report::{GuardedFn, Report, Write};

/// The whole report as text.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let policy = report.policy_file.as_deref().unwrap_or("none");
    let _ = writeln!(out, "crate {} (policy file: {policy})", report.crate_name);
    let mut fns: Vec<&GuardedFn> = report.guarded.iter().collect();
    // Routed fns first, by route; then the others in the order of the sources.
    fns.sort_by_key(|f| (f.routes.is_empty(), route_key(f)));
    for f in fns {
        out.push('\n');
        guarded_fn(&mut out, f);
    }
    let denied = report.denied().count();
    let _ = writeln!(
        out,
        "\nunguarded SQL: {} place(s), {denied} write(s) not allowed",
        report.unguarded.len()
    );
    for s in &report.unguarded {
        let write = match s.write {
            Write::Reads => "reads",
            Write::Writes => "WRITES",
            Write::Unknown => "MAY WRITE",
        };
        let _ = writeln!(
            out,
            "  {}:{}  {}  {}  {write}",
            s.file, s.line, s.in_fn, s.what
        );
        if let Some(sql) = &s.sql {
            let _ = writeln!(out, "    sql: {}", indent(sql, 9));
        }
        if let Some(reason) = &s.allowed {
            let _ = writeln!(out, "    allowed: {reason}");
        }
    }
    let _ = writeln!(
        out,
        "\nhandlers that take no guard: {}",
        report.unguarded_handlers.len()
    );
    for h in &report.unguarded_handlers {
        let _ = writeln!(
            out,
            "  {}:{}  {}  {}",
            h.file,
            h.line,
            h.name,
            h.routes.join(", ")
        );
    }
    out
}

/// A route as sorted: path, then method.
fn route_key(f: &GuardedFn) -> Option<(String, String)> {
    f.routes.first().map(|r| {
        let (method, path) = r.split_once(' ').unwrap_or(("", r));
        (path.to_owned(), method.to_owned())
    })
}

fn guarded_fn(out: &mut String, f: &GuardedFn) {
    let routes = if f.routes.is_empty() {
        "(no route)".to_owned()
    } else {
        f.routes.join(", ")
    };
    let _ = writeln!(out, "== {routes}");
    let _ = writeln!(out, "{}  {}:{}", f.name, f.file, f.line);
    if !f.refusals.is_empty() {
        let _ = writeln!(out, "  REFUSED by #[guarded]:");
        for r in &f.refusals {
            let _ = writeln!(out, "    {}:{}: {}", f.file, r.line, indent(&r.message, 6));
        }
        return;
    }
    let _ = writeln!(out, "  backends: {}", f.backends.join(", "));
    let _ = writeln!(out, "  deny: {}", f.deny);
    if let Some(file) = &f.policy_file {
        let _ = writeln!(
            out,
            "  POLICY FILE OF ITS OWN: {file} (its tables' rules, not the crate's)"
        );
    }
    for t in &f.tables {
        table(out, t);
    }
    if let Some(token) = &f.token {
        let _ = writeln!(out, "  token valid: {token}");
    }
    if !f.unguarded_tables.is_empty() {
        let _ = writeln!(out, "  unguarded: {}", f.unguarded_tables.join(", "));
    }
    for s in &f.statements {
        let mut marks = vec![if s.writes { "write" } else { "read" }];
        if s.idempotent {
            marks.push("idempotent");
        }
        if !s.on_guard {
            marks.push("OFF THE GUARD");
        }
        let _ = writeln!(
            out,
            "  statement {}:{} ({})",
            f.file,
            s.line(),
            marks.join(", ")
        );
        let _ = writeln!(out, "    written:    {}", indent(&s.written, 16));
        for run in &s.runs {
            let label = format!("{}:", run.backend);
            let _ = writeln!(out, "    {label:<11} {}", indent(&run.sql, 16));
        }
    }
}

fn table(out: &mut String, t: &TablePolicy) {
    let read = if t.public_read { ", reads public" } else { "" };
    let _ = writeln!(out, "  table {}: owner {}{read}", t.table, t.owner);
    for (op, rule) in &t.grants {
        let _ = writeln!(out, "    grant {op}: {rule}");
    }
    if let Some(columns) = &t.update_columns {
        let _ = writeln!(out, "    grant update columns: {}", columns.join(", "));
    }
    for (name, op, rule) in &t.conditions {
        let _ = writeln!(out, "    condition {name} ({op}): {rule}");
    }
    if let Some(version) = &t.version {
        let _ = writeln!(out, "    version: {version}");
    }
    if let Some(scope) = &t.scope {
        let _ = writeln!(out, "    scope: {scope}");
    }
}

/// Multi-line text with its later lines indented by `by` spaces, the first line's margin.
fn indent(text: &str, by: usize) -> String {
    let pad = format!("\n{}", " ".repeat(by));
    text.trim()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join(&pad)
}
