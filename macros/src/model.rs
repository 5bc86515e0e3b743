//! The guarded fn as data: its guard parameter, its dialect, and every statement of its body
//! with what the SQL analysis found. `signature` and `body` build it, `check` decides its
//! shape, `expand` turns it into code.

use syn::{Expr, Ident, LitStr};

use crate::backend::{Backends, Dialect};
use crate::cache::Cache;
use crate::policy::{Claim, Owner, Rule};
use crate::sql::{self, Analyses, Bind, Policy};

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
    /// The body, each statement run on the guard lifted out of it into `statements`.
    pub body: syn::Block,
    /// The statements run on the guard, indexed by their holes in `body`.
    pub statements: Vec<Statement>,
    /// A `return` of the fn sits inside another macro's tokens, where it cannot be rewritten.
    pub hidden_return: bool,
    /// A database named apart from the guard's type (`dialect`, or the policy file's
    /// `[database]` for a guard behind an alias), confirmed by type where the error goes.
    pub confirm: Option<(Backends, proc_macro2::Span)>,
    /// The databases its statements are written for.
    pub backends: Backends,
    /// The policy's `[token] valid` condition, if it has one.
    pub valid: Option<Rule>,
}

impl Model {
    /// The statements run on the guard.
    pub fn on_guard(&self) -> impl Iterator<Item = &OnGuard> {
        self.statements
            .iter()
            .filter(|s| s.on_guard)
            .map(|s| &s.site)
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

/// A statement lifted out of the body by the walk: the walk recognises it once and leaves a
/// hole where it stood (see [`hole`]); `check::statements` judges it here; the expansion
/// fills the hole by its index, with the code made from this expression (on the guard) or
/// with the expression itself, its constructor confirmed by type (elsewhere).
pub struct Statement {
    /// The user's `sqlx::query*(..)...EXEC(executor)` chain, holes for the statements of its
    /// values.
    pub expr: Expr,
    pub site: OnGuard,
    /// It runs on the guard; else on another executor.
    pub on_guard: bool,
    /// The `move` of the innermost `move` closure or `async move` block around it.
    pub moved: Option<proc_macro2::Span>,
    /// How many errors the walk had reported when it lifted the statement: where an error
    /// about it goes among them (`Ctxt::insert`).
    pub errors_before: usize,
    /// Its SQL was refused (the error is reported): it is lifted as written
    /// ([`Analyses::refused`](sql::Analyses::refused)) for the expansion next to the errors,
    /// and no rule judges it again.
    pub refused: bool,
}

/// The hole left where statement `index` stood.
pub fn hole(index: usize) -> Expr {
    let index = proc_macro2::Literal::usize_unsuffixed(index);
    Expr::Verbatim(quote::quote!(__guarded_hole #index))
}

/// The index of the statement whose hole `expr` is.
pub fn hole_index(expr: &Expr) -> Option<usize> {
    let Expr::Verbatim(tokens) = expr else {
        return None;
    };
    let mut tokens = tokens.clone().into_iter();
    match (tokens.next(), tokens.next(), tokens.next()) {
        (
            Some(proc_macro2::TokenTree::Ident(name)),
            Some(proc_macro2::TokenTree::Literal(index)),
            None,
        ) if name == "__guarded_hole" => index.to_string().parse().ok(),
        _ => None,
    }
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
    pub backends: Backends,
    pub policy: Policy<'a>,
    /// Analyses of earlier compilations (see [`Cache`]); none outside a compiler.
    pub cache: Option<&'a Cache>,
}

impl Env<'_> {
    /// The statement's analysis on each backend, or an error under its literal.
    pub fn analyse(&self, sql: &LitStr) -> Result<Analyses, syn::Error> {
        let text = sql.value();
        let analyse = || sql::analyse_for(&text, self.backends, &self.policy);
        match self.cache {
            Some(cache) => cache.analyses(&text, self.backends, &self.policy, analyse),
            None => analyse(),
        }
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
