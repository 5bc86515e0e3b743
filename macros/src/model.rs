//! The guarded fn as data: its guard parameter, its dialect, and every statement of its body
//! with what the SQL analysis found. `signature` and `body` build it, `check` decides its
//! shape, `expand` turns it into code.

use syn::{Expr, Ident, LitStr};

use crate::sql::{self, Analyses, Backends, Bind, Claim, Dialect, Owner, Policy};

/// The `Guard<DB, C>` parameter of the fn.
pub struct GuardParam {
    pub ident: Ident,
    pub mutable: bool,
}

/// A guarded fn, read.
pub struct Model {
    pub guard: GuardParam,
    /// The guarded tables: the policy file's and the attribute's.
    pub owners: Vec<Owner>,
    /// The policy file they came from, if the crate has one.
    pub policy_file: Option<std::path::PathBuf>,
    /// Every recognised statement of the body, in the order the walk met them (the order in
    /// which the expansion meets them too).
    pub statements: Vec<Statement>,
    /// A `return` of the fn sits inside another macro's tokens, where it cannot be rewritten.
    pub hidden_return: bool,
    /// The databases its statements are written for.
    pub backends: Backends,
    /// The policy's `[token] valid` condition, if it has one.
    pub valid: Option<sql::Rule>,
}

impl Model {
    /// The statements run on the guard.
    pub fn on_guard(&self) -> impl Iterator<Item = &OnGuard> {
        self.statements.iter().filter_map(|s| match &s.runs {
            Runs::OnGuard(site) => Some(&**site),
            Runs::Elsewhere => None,
        })
    }

    /// Whether some statement run on the guard writes.
    pub fn writes(&self) -> bool {
        self.on_guard().any(|site| site.analyses.facts().writes)
    }

    /// Whether some statement carries the `[token] valid` condition: the fn then keeps the
    /// query that tells a revoked token from a row that is not there.
    pub fn carries_validity(&self) -> bool {
        self.on_guard().any(|site| site.analyses.facts().validity)
    }

    /// The claims besides the subject that some statement binds, each once.
    pub fn claims(&self) -> Vec<Claim> {
        let mut claims: Vec<Claim> = Vec::new();
        let binds = self
            .on_guard()
            .flat_map(|site| site.analyses.each())
            .flat_map(|(_, analysis)| &analysis.binds);
        for bind in binds {
            if let Bind::Claim(claim) = bind
                && !claims.contains(claim)
            {
                claims.push(claim.clone());
            }
        }
        claims
    }
}

/// A recognised statement: a `sqlx::query*` call or macro with a literal the macro parsed.
pub struct Statement {
    /// The user's literal, which the expansion checks it meets in the same order.
    pub sql: LitStr,
    pub runs: Runs,
}

/// Where a statement runs.
pub enum Runs {
    /// On the guard: rewritten, and settled by the guard's outcome.
    OnGuard(Box<OnGuard>),
    /// On another executor, or built and run apart: it writes nothing and reads no guarded
    /// table, and runs unchanged through sqlx's own constructor.
    Elsewhere,
}

/// A statement run on the guard.
pub struct OnGuard {
    pub analyses: Analyses,
    /// It sits in a loop or a closure: it may run more than once.
    pub repeated: bool,
    /// Its values hold a `return` of the fn, which runs while the statement holds the guard's
    /// scope.
    pub returns: bool,
}

/// What judging a statement needs: the guard's name, the database and the owner policy.
pub struct Env<'a> {
    pub guard: &'a Ident,
    /// `deny = 403`: every statement that can deny must be able to tell 403 from 404.
    pub tells_forbidden: bool,
    pub backends: Backends,
    pub policy: Policy<'a>,
}

impl Env<'_> {
    /// The statement's analysis on each backend, or an error under its literal.
    pub fn analyse(&self, sql: &LitStr) -> Result<Analyses, syn::Error> {
        sql::analyse_for(&sql.value(), self.backends, &self.policy)
            .map_err(|message| syn::Error::new(sql.span(), message))
    }

    /// Whether an executor argument is the guard (see [`is_guard`]).
    pub fn is_guard(&self, expr: &Expr) -> bool {
        is_guard(expr, self.guard)
    }
}

/// Whether an executor argument is the guard: `&mut guard`, `&guard`, `guard`, `&mut *guard`.
pub fn is_guard(expr: &Expr, guard: &Ident) -> bool {
    match expr {
        Expr::Reference(r) => is_guard(&r.expr, guard),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => is_guard(&u.expr, guard),
        Expr::Paren(p) => is_guard(&p.expr, guard),
        Expr::Group(g) => is_guard(&g.expr, guard),
        Expr::Path(p) => p.qself.is_none() && p.path.is_ident(guard),
        _ => false,
    }
}

/// The sqlx database type of `backends`; for one, also the name of its
/// `guarded::__private::Backend`.
pub fn db_type(backends: Backends) -> &'static str {
    match backends {
        Backends::One(Dialect::Sqlite) => "Sqlite",
        Backends::One(Dialect::Postgres) => "Postgres",
        Backends::One(Dialect::MySql) => "MySql",
        Backends::Every => "Any",
    }
}
