//! Calls that run SQL outside a recognised chain: `pool.execute("...")`, `q.fetch_all(&pool)`,
//! `sqlx::Executor::execute(&pool, ..)`, `QueryBuilder`.
//!
//! The macro cannot know a receiver's type, so every call of a method that runs SQL is judged
//! by what it is given. The guard runs only chains the walker rewrote; anything else may run
//! only a string literal written in the call (or a recognised `sqlx::query("...")`, judged
//! where it stands) that writes nothing and reads no guarded table. A value of unknown origin
//! (a variable, a `const`, `concat!`, a query built apart) is refused: what it holds is unknown.

use quote::ToTokens;
use syn::{Expr, ExprCall, ExprMethodCall, ExprPath};

use crate::ctxt::Ctxt;
use crate::exec::Exec;
use crate::model::Env;
use crate::{check, sites};

/// What the walk does after judging a call.
pub enum Judged {
    /// Visit the call's parts as usual.
    Visit,
    /// Refused: visit only its arguments, so one mistake gives one error.
    Refused,
}

/// The executor rule, for the calls that run SQL outside a recognised chain.
pub struct Judge<'a> {
    pub env: &'a Env<'a>,
    pub cx: &'a Ctxt,
}

impl Judge<'_> {
    /// `receiver.method(args)` with a method that runs SQL, not on a recognised chain.
    pub fn method_call(&self, call: &ExprMethodCall) -> Judged {
        let name = call.method.to_string();
        if sites::DYNAMIC_BUILDERS.contains(&name.as_str()) {
            self.cx.push(dynamic_builder(&call.method));
            return Judged::Refused;
        }
        if sites::MIGRATIONS.contains(&name.as_str())
            || (sites::MIGRATION_RUNS.contains(&name.as_str()) && call.args.len() == 2)
        {
            self.cx.push(migrations(&call.method));
            return Judged::Refused;
        }
        if sites::UNSEEN_RUN_METHODS.contains(&name.as_str()) {
            if call.args.is_empty() {
                return Judged::Visit;
            }
            self.cx.push(unseen_run(&call.method));
            return Judged::Refused;
        }
        if !sites::runs_sql(&name) || call.args.is_empty() {
            return Judged::Visit;
        }
        let on_guard =
            self.env.is_guard(&call.receiver) || call.args.iter().any(|a| self.env.is_guard(a));
        let verdict = if on_guard && sites::is_query(&call.receiver) {
            Err(syn::Error::new(
                call.method.span(),
                format!(
                    "the guard runs a statement with {}; `.{name}` is not one of them: use \
                     `.{}(&mut guard)`",
                    Exec::listed(),
                    site_method(&name)
                ),
            ))
        } else if on_guard {
            Err(unseen_on_guard(call, &name))
        } else {
            self.judge_sql(&call.args[0], call, &name)
        };
        self.verdict(verdict)
    }

    /// `Trait::method(args)` or `<T as Trait>::method(args)` with a method that runs SQL;
    /// `false` when the call is not one.
    pub fn ufcs_call(&self, call: &ExprCall) -> bool {
        let Expr::Path(func) = &*call.func else {
            return false;
        };
        if let Some(method) = migration_run_path(func)
            && call.args.len() == 3
        {
            self.cx.push(migrations(method));
            return true;
        }
        if let Some(method) = unseen_run_path(func) {
            // The receiver is the first argument: `Pool::begin(&pool)` takes no SQL.
            if call.args.len() > 1 {
                self.cx.push(unseen_run(method));
            }
            return true;
        }
        let Some(name) = run_method_path(func) else {
            return false;
        };
        if call.args.iter().any(|a| self.env.is_guard(a)) {
            self.verdict(Err(unseen_on_guard(call, &name)));
            return true;
        }
        // `Executor::execute(executor, sql)` or `Query::execute(query, executor)`: the SQL is
        // whichever argument is a literal or a query; with neither, the call's own path
        // stands for SQL of unknown origin, which `judge_sql` refuses.
        let sql = call
            .args
            .iter()
            .find(|a| sites::literal_arg(a).is_some() || sites::is_query(a))
            .unwrap_or(&call.func);
        let verdict = self.judge_sql(sql, call, &name);
        self.verdict(verdict);
        true
    }

    /// A path naming a dynamic builder, or a method that runs SQL taken as a value.
    pub fn path(&self, path: &ExprPath) {
        if let Some(segment) = path
            .path
            .segments
            .iter()
            .find(|s| sites::DYNAMIC_BUILDERS.contains(&s.ident.to_string().as_str()))
        {
            self.cx.push(dynamic_builder(&segment.ident));
        } else if let Some(segment) = path
            .path
            .segments
            .iter()
            .find(|s| sites::MIGRATIONS.contains(&s.ident.to_string().as_str()))
        {
            self.cx.push(migrations(&segment.ident));
        } else if is_guard_trusted(path) {
            self.cx.push(syn::Error::new_spanned(
                path,
                "a guarded fn cannot make a new `Guard` (any `::trusted`, \
                 `::from_request_parts` or `::from_request` path is taken as one): handed to \
                 another guarded fn, its statements would wait on this fn's locks; write those \
                 statements here, or call the other fn from the handler that calls this one; \
                 a fn of your own by that name can be imported with `use` and called by its \
                 name alone",
            ));
        } else if let Some(method) = unseen_run_path(path) {
            self.cx.push(unseen_run(method));
        } else if let Some(name) = run_method_path(path) {
            self.cx.push(syn::Error::new_spanned(
                path,
                format!(
                    "`{name}` taken as a value runs SQL the guard cannot follow; call it on \
                     its statement directly: `sqlx::query(\"...\").{name}(&mut guard)`"
                ),
            ));
        }
    }

    fn verdict(&self, verdict: Result<(), syn::Error>) -> Judged {
        match verdict {
            Ok(()) => Judged::Visit,
            Err(e) => {
                self.cx.push(e);
                Judged::Refused
            }
        }
    }

    /// The SQL given to a call that does not run on the guard.
    fn judge_sql(&self, sql: &Expr, call: &dyn ToTokens, name: &str) -> Result<(), syn::Error> {
        if let Some(lit) = sites::literal_arg(sql) {
            let each = self.env.analyse(lit)?;
            let analysis = each.facts();
            if check::needs_guard(analysis) {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "this statement {} but does not run on the guard; write it as \
                         `sqlx::query(\"...\").bind(..).{}(&mut guard)`",
                        check::what(analysis),
                        site_method(name)
                    ),
                ));
            }
            return Ok(());
        }
        if sites::is_query(sql) {
            return Ok(());
        }
        Err(syn::Error::new_spanned(
            call.to_token_stream(),
            format!(
                "the guard cannot see the SQL this `{name}` runs; off the guard, write the \
                 statement as a string literal in the call (`pool.{name}(\"SELECT ...\")`) or \
                 as `sqlx::query(\"...\")`, and it may write nothing and read no guarded \
                 table; on the guard, write `sqlx::query(\"...\").bind(..).{}(&mut guard)` \
                 in one expression",
                site_method(name)
            ),
        ))
    }
}

/// `sqlx::Executor::execute`, `<T as Executor>::fetch_all`, ...: the method's name when the
/// path names a method that runs SQL through a type or trait (a plain `execute(..)` is a fn
/// of the user's).
fn run_method_path(path: &ExprPath) -> Option<String> {
    if path.path.segments.len() < 2 && path.qself.is_none() {
        return None;
    }
    let name = path.path.segments.last()?.ident.to_string();
    sites::runs_sql(&name).then_some(name)
}

/// `PgConnection::copy_in_raw`, `<C as Connection>::begin_with`, ...: the method, when the
/// path names one of [`sites::UNSEEN_RUN_METHODS`] through a type or trait.
fn unseen_run_path(path: &ExprPath) -> Option<&syn::Ident> {
    if path.path.segments.len() < 2 && path.qself.is_none() {
        return None;
    }
    let method = &path.path.segments.last()?.ident;
    sites::UNSEEN_RUN_METHODS
        .contains(&method.to_string().as_str())
        .then_some(method)
}

/// `Migrate::apply`, `<C as Migrate>::revert`, ...: the method, when the path names one of
/// [`sites::MIGRATION_RUNS`] through a type or trait.
fn migration_run_path(path: &ExprPath) -> Option<&syn::Ident> {
    if path.path.segments.len() < 2 && path.qself.is_none() {
        return None;
    }
    let method = &path.path.segments.last()?.ident;
    sites::MIGRATION_RUNS
        .contains(&method.to_string().as_str())
        .then_some(method)
}

/// Why a method of [`sites::UNSEEN_RUN_METHODS`] is refused, and what to write instead.
fn unseen_run(method: &syn::Ident) -> syn::Error {
    let name = method.to_string();
    let why = if name == "pragma" {
        "is SQL text a new connection runs when it opens, unseen by the guard; set pragmas \
         where the application builds its pool, outside #[guarded] fns"
    } else if name.starts_with("copy_") {
        "runs a COPY the guard never sees: it reads or writes a whole table, every owner's \
         rows, whatever the executor; in a #[guarded] fn write each statement as \
         `sqlx::query(\"...\").bind(..).execute(&mut guard)`, and run a COPY outside \
         #[guarded] fns"
    } else {
        "begins a transaction with a statement the guard never sees, beside the one the guard \
         already runs the fn in; write the fn's statements on the guard, \
         `sqlx::query(\"...\").bind(..).execute(&mut guard)`, which commit together"
    };
    syn::Error::new(method.span(), format!("`{method}` {why}"))
}

/// The associated fns that make a `Guard`: its own, and the extractor traits'.
const GUARD_MAKERS: &[&str] = &["trusted", "from_request_parts", "from_request"];

/// `Guard::trusted`, `guarded::Guard::<Sqlite>::from_request_parts`, ...: any associated fn
/// of `Guard`, each a way to a new one. A type alias (`G::trusted`), a qualified self
/// (`<Guard<Sqlite>>::trusted`) or a trait (`FromRequestParts::from_request_parts`) can name
/// `Guard` under any name, and the macro cannot resolve types, so any path through a type or
/// trait that ends in one of [`GUARD_MAKERS`] is taken as one. A fn of the user's by that
/// name stays callable by its own name, imported with `use`: `Guard`'s cannot be.
fn is_guard_trusted(path: &ExprPath) -> bool {
    let segments: Vec<_> = path.path.segments.iter().map(|s| &s.ident).collect();
    let through_type = segments.len() > 1 || path.qself.is_some();
    segments.windows(2).any(|pair| pair[0] == "Guard")
        || (through_type
            && segments
                .last()
                .is_some_and(|name| GUARD_MAKERS.iter().any(|maker| name == maker)))
}

/// The method a guarded site would use in place of `name`.
fn site_method(name: &str) -> &'static str {
    match (Exec::named(name), name) {
        (Some(exec), _) => exec.name(),
        (None, "fetch_many") => Exec::Fetch.name(),
        (None, _) => Exec::Execute.name(),
    }
}

fn unseen_on_guard(call: &dyn ToTokens, name: &str) -> syn::Error {
    syn::Error::new_spanned(
        call.to_token_stream(),
        format!(
            "the guard runs only a statement it can see, written in one expression: \
             `sqlx::query(\"...\").bind(..).{}(&mut guard)` (or `query_as`, `query_scalar`, \
             `query!`); build the statement right there, not apart or through another name",
            site_method(name)
        ),
    )
}

pub fn migrations(name: &syn::Ident) -> syn::Error {
    syn::Error::new(
        name.span(),
        "migrations run SQL from files the guard never sees; run them at start-up, outside \
         any #[guarded] fn",
    )
}

fn dynamic_builder(name: &syn::Ident) -> syn::Error {
    syn::Error::new(
        name.span(),
        format!(
            "`{name}` assembles SQL at run time, which the guard cannot prove guarded; write \
             each statement as a literal in `sqlx::query(\"...\")` and pass values with \
             `.bind(..)`"
        ),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use proc_macro2::Span;

    use crate::backend::{Backends, Dialect};
    use crate::body;
    use crate::ctxt::Ctxt;
    use crate::model::Env;
    use crate::policy::Owner;
    use crate::sql::Policy;

    /// The errors of a guarded fn's body on SQLite, guarding `items.owner_id`.
    pub(crate) fn errors(body: &str) -> Vec<String> {
        let mut block: syn::Block = syn::parse_str(body).expect("block");
        let guard = syn::Ident::new("guard", Span::call_site());
        let unguarded = Vec::new();
        let owners = [Owner::new("items", "owner_id")];
        let env = Env {
            guard: &guard,
            backends: Backends::One(Dialect::Sqlite),
            policy: Policy {
                owners: &owners,
                unguarded: &unguarded,
                valid: None,
            },
            cache: None,
        };
        let cx = Ctxt::new();
        let walked = body::walk(&mut block, &env, &cx);
        crate::check::statements(&walked.statements, false, &cx);
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn every_way_of_running_unseen_sql_is_refused_once() {
        let refused = [
            r#"{ pool.execute("DELETE FROM items"); }"#,
            r#"{ (&pool).fetch_all("SELECT title FROM items"); }"#,
            "{ pool.execute(SQL); }",
            r#"{ pool.execute(concat!("DELETE ", "FROM items")); }"#,
            r#"{ pool.execute(sqlx::AssertSqlSafe(format!("DELETE FROM items"))); }"#,
            r#"{ q("DELETE FROM items").execute(&pool); }"#,
            r#"{ q("DELETE FROM items").execute(&mut guard); }"#,
            r#"{ let q = sqlx::query("SELECT 1"); q.fetch_all(&pool); }"#,
            r#"{ sqlx::Executor::execute(&pool, "DELETE FROM items"); }"#,
            r#"{ <&Pool as Executor>::fetch_all(&pool, "SELECT id FROM items"); }"#,
            r#"{ sqlx::Executor::execute(&mut guard, "SELECT 1"); }"#,
            "{ let f = sqlx::Executor::execute; }",
            r#"{ let qb = sqlx::QueryBuilder::<Sqlite>::new("SELECT 1"); }"#,
            "{ qb.build_query_scalar(); }",
            r#"{ guard.execute("SELECT 1"); }"#,
            r#"{ sqlx::query("SELECT 1").fetch_many(&mut guard); }"#,
            r#"{ conn.prepare("DELETE FROM items"); }"#,
            "{ macro_rules! m { () => {} } }",
            r#"{ dbg!(pool.fetch_one("SELECT 1")); }"#,
            "{ let g = Guard::trusted(pool, claims); }",
            // Valid SQLite the parser cannot read: never trusted off the guard.
            r#"{ pool.execute("DELETE FROM items NOT INDEXED WHERE id = 1"); }"#,
            r#"{ sqlx::migrate!("./m").run(&pool); }"#,
            "{ let m = sqlx::migrate::Migrator::new(path); }",
            r#"{ async move { sqlx::query("DELETE FROM items").execute(&mut guard).await }; }"#,
            r#"{ sqlx::query("UPDATE items SET title = 'x'").fetch_optional(&mut guard); }"#,
            r#"{ pool.copy_in_raw("COPY items FROM STDIN"); }"#,
            r#"{ conn.copy_out_raw("SELECT 1"); }"#,
            r#"{ pool.begin_with("BEGIN"); }"#,
            r#"{ guard.begin_with("BEGIN"); }"#,
            r#"{ sqlx::postgres::PgConnection::copy_in_raw(&mut conn, "COPY items FROM STDIN"); }"#,
            r#"{ <Pool as Acquire>::begin_with(&pool, "BEGIN"); }"#,
            "{ sqlx::TransactionManager::begin(&mut conn, Some(sql)); }",
            "{ let f = PgPool::copy_out_raw; }",
            r#"{ let o = options.pragma("foreign_keys", "ON; DELETE FROM items"); }"#,
            r#"{ conn.apply("_sqlx_migrations", &migration); }"#,
            r#"{ sqlx::migrate::Migrate::revert(&mut conn, "t", &migration); }"#,
            r#"{ conn.ensure_migrations_table("t; DELETE FROM items"); }"#,
            "{ Postgres::drop_database(url); }",
            "{ let g = G::trusted(pool, claims); }",
            "{ let g = <Guard<Sqlite>>::trusted(pool, claims); }",
            "{ let g = <G>::trusted(pool, claims); }",
            "{ let g = FromRequestParts::from_request_parts(&mut parts, &state); }",
        ];
        for body in refused {
            assert_eq!(errors(body).len(), 1, "{body}: {:?}", errors(body));
        }
    }

    #[test]
    fn data_strings_and_reads_elsewhere_are_allowed() {
        let allowed = [
            r#"{ let words = ["begin", "commit", "end", "analyze", "explain"]; }"#,
            r#"{ let s = "DELETE FROM items"; println!("{s}"); }"#,
            r#"{ pool.execute("SELECT 1"); }"#,
            r#"{ pool.fetch_all(sqlx::query("SELECT note FROM audit").bind(1)); }"#,
            r#"{ sqlx::Executor::fetch_all(&pool, "SELECT note FROM audit"); }"#,
            "{ cache.fetch(); error.describe(); }",
            r#"{ sqlx::query("DELETE FROM items WHERE id = ?").bind(1).execute(&mut guard); }"#,
            r#"{ async { sqlx::query("DELETE FROM items").execute(&mut guard).await }; }"#,
            "{ let tx = pool.begin(); let tx = sqlx::Connection::begin(&mut conn); }",
            "{ let t = trusted(source); }",
            "{ let rest = iter.skip(1); let v = opt.apply(f); }",
        ];
        for body in allowed {
            assert!(errors(body).is_empty(), "{body}: {:?}", errors(body));
        }
    }
}
