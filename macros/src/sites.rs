//! Recognising SQL sites in the body: `sqlx::query*(LIT).bind(..)...EXEC(executor)` chains and
//! `sqlx::query*!(...)` macros.

use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    AngleBracketedGenericArguments, Expr, ExprCall, ExprMacro, ExprMethodCall, Ident, Lit, LitStr,
    Path, Token,
};

use crate::exec::Exec;

/// Builder fns whose SQL the guard rewrites.
const QUERY_FNS: &[&str] = &["query", "query_as", "query_scalar"];
/// Fns that take SQL but hide their arguments or run several statements: always refused.
const OPAQUE_FNS: &[&str] = &[
    "query_with",
    "query_as_with",
    "query_scalar_with",
    "raw_sql",
    // The `query!` macros' constructors, under their own names and sqlx's re-exports.
    "query_with_result",
    "query_as_with_result",
    "query_scalar_with_result",
    "__query_with_result",
    "__query_scalar_with_result",
    // SQLite's describe for the `query!` macros: it opens its own connection by URL.
    "describe_blocking",
];
/// Macros whose SQL the guard rewrites.
const QUERY_MACROS: &[&str] = &[
    "query",
    "query_as",
    "query_scalar",
    "query_unchecked",
    "query_as_unchecked",
    "query_scalar_unchecked",
];
/// Macros that read SQL from a file the guard does not see.
const FILE_MACROS: &[&str] = &[
    "query_file",
    "query_file_as",
    "query_file_scalar",
    "query_file_unchecked",
    "query_file_as_unchecked",
    "query_file_scalar_unchecked",
];
/// Whether `name` is a SQL entry point of sqlx: a query fn or macro, or one we refuse.
pub fn is_entry_name(name: &str) -> bool {
    [QUERY_FNS, OPAQUE_FNS, QUERY_MACROS, FILE_MACROS]
        .iter()
        .any(|names| names.contains(&name))
}

/// sqlx's methods that run or prepare SQL besides those a guarded site runs with ([`Exec`]).
const OTHER_RUN_METHODS: &[&str] = &[
    "execute_many",
    "fetch_many",
    "prepare",
    "prepare_with",
    "describe",
];

/// Whether `name` is a method of sqlx that runs or prepares SQL, on a query
/// (`query.execute(executor)`) or on an executor (`pool.execute(sql)`): each call of one of
/// these names is judged, whatever its receiver, because the receiver's type is unknown to
/// the macro.
pub fn runs_sql(name: &str) -> bool {
    Exec::named(name).is_some() || OTHER_RUN_METHODS.contains(&name)
}
/// sqlx's methods that run SQL on their receiver with nothing the guard could analyse:
/// PostgreSQL's COPY (`copy_in_raw`, `copy_out_raw`), which reads or writes whole tables, and
/// a transaction begun with a statement of the caller's (`begin_with`, `try_begin_with`,
/// `TransactionManager::begin`, `AnyConnectionBackend::begin`), a second one beside the
/// guard's; and SQLite's `pragma`, whose text a new connection runs when it opens. Refused
/// whenever given an argument besides the receiver (`pool.begin()` takes none), whatever the
/// receiver.
pub const UNSEEN_RUN_METHODS: &[&str] = &[
    "copy_in_raw",
    "copy_out_raw",
    "begin_with",
    "try_begin_with",
    "begin",
    "pragma",
];
/// sqlx's builders of SQL assembled at run time: nothing they run can be proven guarded.
pub const DYNAMIC_BUILDERS: &[&str] = &["QueryBuilder", "build_query_as", "build_query_scalar"];
/// sqlx's migrations: SQL read from files at build or run time, which the guard never sees;
/// and the methods of its `Migrate`, `MigrateDatabase` and `TestSupport` traits, each of which
/// runs SQL built from its arguments (a table, schema or database name spliced in, a database
/// created or dropped by URL).
pub const MIGRATIONS: &[&str] = &[
    "migrate",
    "Migrator",
    "Migration",
    "with_migrations",
    "ensure_migrations_table",
    "create_schema_if_not_exists",
    "dirty_version",
    "list_applied_migrations",
    "create_database",
    "database_exists",
    "drop_database",
    "force_drop_database",
    "cleanup_test",
    "cleanup_test_dbs",
];
/// `Migrate`'s methods that run a migration, `conn.apply(table, &migration)`: names common
/// enough (`iter.skip(n)`) that only a call with `Migrate`'s two arguments is refused.
pub const MIGRATION_RUNS: &[&str] = &["apply", "revert", "skip"];
/// Builder methods that may sit between the root and the executor call.
const BUILDER_METHODS: &[&str] = &["bind", "persistent", "map", "try_map", IDEMPOTENT];
/// The marker by which a guarded write says that matching no row is fine (an idempotent
/// delete): not a method of sqlx, so it compiles only where `#[guarded]` reads it.
const IDEMPOTENT: &str = "idempotent";

/// Where a statement's SQL comes from.
pub enum Root {
    /// `sqlx::query(LIT)` and friends; `name` is the fn's name as sqlx spells it.
    Call {
        call: ExprCall,
        name: Ident,
        sql: LitStr,
    },
    /// `sqlx::query!(LIT, args...)` and friends; `ty` is `query_as!`'s record type, `name` the
    /// macro's name as sqlx spells it.
    Macro {
        name: Ident,
        ty: Option<Path>,
        sql: LitStr,
        args: Vec<Expr>,
    },
}

impl Root {
    pub fn sql(&self) -> &LitStr {
        match self {
            Self::Call { sql, .. } | Self::Macro { sql, .. } => sql,
        }
    }
}

/// What a candidate root turned out to be.
pub enum RootKind {
    Site(Root),
    /// A SQL entry point the guard cannot rewrite; the message says what to write instead.
    Refused(syn::Error),
    NotSql,
}

/// A method call of a chain, without its receiver: each is taken once, not with the whole
/// chain before it.
pub struct Method {
    pub name: Ident,
    pub turbofish: Option<AngleBracketedGenericArguments>,
    pub args: Punctuated<Expr, Token![,]>,
}

impl Method {
    fn of(call: &ExprMethodCall) -> Self {
        Self {
            name: call.method.clone(),
            turbofish: call.turbofish.clone(),
            args: call.args.clone(),
        }
    }

    pub fn is_bind(&self) -> bool {
        self.name == "bind"
    }
}

/// A whole chain: root, builder methods (binds in order), executor call.
pub struct Chain {
    pub root: Root,
    pub methods: Vec<Method>,
    /// The executor call: `.execute(executor)`.
    pub run: Method,
    /// Its method.
    pub exec: Exec,
    /// `.idempotent()` among the builder methods: matching no row is not a denial.
    pub idempotent: Option<Method>,
}

impl Chain {
    /// Splits `root.m1(..).m2(..).exec(executor)` into its parts; `None` when `call` is not
    /// an executor call on a recognised root through builder methods only.
    pub fn of(call: &ExprMethodCall) -> Option<Result<Self, syn::Error>> {
        let exec = Exec::named(&call.method.to_string())?;
        if call.args.len() != 1 {
            return None;
        }
        let mut methods = Vec::new();
        let mut cursor = &*call.receiver;
        loop {
            match cursor {
                Expr::MethodCall(m) if BUILDER_METHODS.contains(&m.method.to_string().as_str()) => {
                    methods.push(m);
                    cursor = &m.receiver;
                }
                Expr::Group(g) => cursor = &g.expr,
                Expr::Paren(p) => cursor = &p.expr,
                _ => break,
            }
        }
        let (markers, methods): (Vec<_>, Vec<_>) = methods
            .into_iter()
            .rev()
            .map(Method::of)
            .partition(|m| m.name == IDEMPOTENT);
        match root_kind(cursor) {
            RootKind::Site(root) => Some(Ok(Self {
                root,
                methods,
                run: Method::of(call),
                exec,
                idempotent: markers.into_iter().next(),
            })),
            RootKind::Refused(e) => Some(Err(e)),
            RootKind::NotSql => None,
        }
    }

    /// The executor the statement runs on.
    pub fn executor(&self) -> &Expr {
        &self.run.args[0]
    }

    /// The values the statement binds, in order: its `.bind(..)` arguments, or the query
    /// macro's arguments.
    pub fn bound_values(&self) -> impl Iterator<Item = &Expr> {
        let macro_args = match &self.root {
            Root::Macro { args, .. } => args.as_slice(),
            Root::Call { .. } => &[],
        };
        self.methods
            .iter()
            .filter(|m| m.is_bind())
            .map(|m| &m.args[0])
            .chain(macro_args)
    }

    /// Every expression of the user's in the chain: method arguments, macro arguments and
    /// the executor.
    pub fn user_exprs(&self) -> impl Iterator<Item = &Expr> {
        let macro_args = match &self.root {
            Root::Macro { args, .. } => args.as_slice(),
            Root::Call { .. } => &[],
        };
        self.methods
            .iter()
            .chain(std::iter::once(&self.run))
            .flat_map(|m| m.args.iter())
            .chain(macro_args)
    }
}

fn last_ident(path: &Path) -> Option<&Ident> {
    path.segments.last().map(|s| &s.ident)
}

fn str_lit(expr: &Expr) -> Option<&LitStr> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(s) => Some(s),
            _ => None,
        },
        Expr::Group(g) => str_lit(&g.expr),
        Expr::Paren(p) => str_lit(&p.expr),
        _ => None,
    }
}

fn not_literal(span: proc_macro2::Span) -> syn::Error {
    syn::Error::new(
        span,
        "SQL in a #[guarded] fn must be a string literal, so the guard can prove it guarded; \
         write the statement inline and pass values with .bind(..)",
    )
}

/// What an expression that may start a statement is.
pub fn root_kind(expr: &Expr) -> RootKind {
    match expr {
        Expr::Call(call) => call_kind(call),
        Expr::Macro(mac) => macro_kind(mac),
        _ => RootKind::NotSql,
    }
}

fn call_kind(call: &ExprCall) -> RootKind {
    let Expr::Path(func) = &*call.func else {
        return RootKind::NotSql;
    };
    let Some(ident) = last_ident(&func.path) else {
        return RootKind::NotSql;
    };
    let name = ident.to_string();
    if OPAQUE_FNS.contains(&name.as_str()) {
        return RootKind::Refused(syn::Error::new_spanned(
            func,
            format!(
                "`{name}` hides its arguments or runs several statements unseen; use `sqlx::query(\"...\")` \
                 with `.bind(..)` for each value"
            ),
        ));
    }
    if !QUERY_FNS.contains(&name.as_str()) {
        return RootKind::NotSql;
    }
    match call.args.first().and_then(str_lit) {
        Some(sql) if call.args.len() == 1 => RootKind::Site(Root::Call {
            call: call.clone(),
            name: ident.clone(),
            sql: sql.clone(),
        }),
        _ => RootKind::Refused(not_literal(
            call.args
                .first()
                .map_or_else(|| call.func.span(), Spanned::span),
        )),
    }
}

fn macro_kind(mac: &ExprMacro) -> RootKind {
    let Some(ident) = last_ident(&mac.mac.path) else {
        return RootKind::NotSql;
    };
    let name = ident.to_string();
    if FILE_MACROS.contains(&name.as_str()) {
        return RootKind::Refused(syn::Error::new_spanned(
            &mac.mac.path,
            format!(
                "`{name}!` reads SQL the guard cannot see; write the statement inline \
                 with `sqlx::query!(\"...\")`"
            ),
        ));
    }
    if !QUERY_MACROS.contains(&name.as_str()) {
        return RootKind::NotSql;
    }
    let typed = name.starts_with("query_as");
    match mac
        .mac
        .parse_body_with(|input: ParseStream<'_>| MacroArgs::parse(input, typed))
    {
        Ok(MacroArgs { ty, sql, args }) => RootKind::Site(Root::Macro {
            name: ident.clone(),
            ty,
            sql,
            args,
        }),
        Err(e) => RootKind::Refused(e),
    }
}

struct MacroArgs {
    ty: Option<Path>,
    sql: LitStr,
    args: Vec<Expr>,
}

impl MacroArgs {
    fn parse(input: ParseStream<'_>, typed: bool) -> syn::Result<Self> {
        let ty = if typed {
            let ty: Path = input.parse()?;
            input.parse::<Token![,]>()?;
            Some(ty)
        } else {
            None
        };
        let first: Expr = input.parse()?;
        let Some(sql) = str_lit(&first).cloned() else {
            return Err(not_literal(first.span()));
        };
        let mut args = Vec::new();
        if input.parse::<Option<Token![,]>>()?.is_some() {
            let rest = Punctuated::<Expr, Token![,]>::parse_terminated(input)?;
            args.extend(rest);
        }
        Ok(Self { ty, sql, args })
    }
}

/// The method call a chain continues with below `receiver`, through parentheses and the
/// invisible groups of `macro_rules!`.
pub fn inner_call_mut(receiver: &mut Expr) -> Option<&mut ExprMethodCall> {
    match receiver {
        Expr::MethodCall(m) => Some(m),
        Expr::Group(g) => inner_call_mut(&mut g.expr),
        Expr::Paren(p) => inner_call_mut(&mut p.expr),
        _ => None,
    }
}

/// Whether `expr` is a statement not run yet: a recognised (or refused) root under builder
/// methods, e.g. the argument of `pool.fetch_all(sqlx::query("..."))`. The walk judges the
/// root itself when it visits it.
pub fn is_query(expr: &Expr) -> bool {
    let mut cursor = expr;
    loop {
        match cursor {
            Expr::MethodCall(m) if BUILDER_METHODS.contains(&m.method.to_string().as_str()) => {
                cursor = &m.receiver;
            }
            Expr::Group(g) => cursor = &g.expr,
            Expr::Paren(p) => cursor = &p.expr,
            Expr::Reference(r) => cursor = &r.expr,
            _ => return !matches!(root_kind(cursor), RootKind::NotSql),
        }
    }
}

/// The string literal an executor call is given, looking through `&`, parentheses and
/// macro-argument groups.
pub fn literal_arg(expr: &Expr) -> Option<&LitStr> {
    match expr {
        Expr::Reference(r) => literal_arg(&r.expr),
        _ => str_lit(expr),
    }
}

/// Whether a token names something that runs SQL: a sqlx entry point, a method that runs a
/// statement, or a dynamic builder. This is the one set of names the walk judges; the test
/// `sqlx_api` checks every fn of sqlx's API that takes SQL against it.
pub fn names_sql(name: &str) -> bool {
    is_entry_name(name)
        || runs_sql(name)
        || UNSEEN_RUN_METHODS.contains(&name)
        || DYNAMIC_BUILDERS.contains(&name)
        || MIGRATIONS.contains(&name)
}
