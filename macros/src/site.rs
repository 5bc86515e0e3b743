//! The code of one statement: run on the guard through its scope, or, off the guard, run
//! through sqlx's own constructor confirmed by type.
//!
//! Generated code names only `::guarded::__private::...` and `__guarded_*` locals with
//! mixed-site hygiene, so nothing in the user's scope can change its meaning.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr};

use crate::backend::{Backends, Dialect};
use crate::model::{self, OnGuard};
use crate::policy::Claim;
use crate::sites::{Chain, Root};
use crate::sql::{Analysis, Bind};

/// The macro's own names, shared by the fn wrapper and its statements; mixed-site hygiene, so
/// the body cannot reach them.
pub struct Names {
    pub scope: Ident,
    pub subject: Ident,
    /// The witness of how the fn ends (`guarded::__private::Ends`), bound first in the fn.
    pub ends: Ident,
    conn: Ident,
    outcome: Ident,
}

impl Names {
    /// The local holding a claim other than the subject, bound by the fn's prologue.
    pub fn claim(claim: &Claim) -> Ident {
        let name = match claim {
            Claim::Sub => "__guarded_subject".to_owned(),
            Claim::Jti => "__guarded_jti".to_owned(),
            Claim::Iat => "__guarded_iat".to_owned(),
            Claim::Field(field) => format!("__guarded_claim_{field}"),
        };
        Ident::new(&name, Span::mixed_site())
    }

    /// `guard` is the user's guard parameter: the scope takes its name, and a borrow error
    /// then speaks of the guard.
    pub fn new(guard: &Ident) -> Self {
        let name = |n: &str| Ident::new(n, Span::mixed_site());
        Self {
            scope: respan(guard, Span::mixed_site()),
            subject: name("__guarded_subject"),
            ends: name("__guarded_ends"),
            conn: name("__guarded_conn"),
            outcome: name("__guarded_outcome"),
        }
    }
}

/// The same name (raw or not) with another span: another place, or another hygiene.
pub fn respan(ident: &Ident, span: Span) -> Ident {
    let mut ident = ident.clone();
    ident.set_span(span);
    ident
}

/// The user's values: as written, or hoisted into locals evaluated once when they are bound
/// more than once (into the site's checks too, or in the arm of each backend).
struct Values {
    lets: Vec<TokenStream>,
    /// What the statement binds: the expression, or its local.
    exprs: Vec<TokenStream>,
    /// The statement binds references to the locals, which the site's checks borrow again
    /// should the statement be denied.
    borrowed: bool,
}

fn values(user: &[&Expr], hoist: bool, borrowed: bool) -> Values {
    if !hoist {
        return Values {
            lets: Vec::new(),
            exprs: user.iter().map(|e| quote!(#e)).collect(),
            borrowed: false,
        };
    }
    let idents: Vec<Ident> = (0..user.len())
        .map(|i| Ident::new(&format!("__guarded_v{i}"), Span::mixed_site()))
        .collect();
    Values {
        lets: user
            .iter()
            .zip(&idents)
            .map(|(e, i)| quote_spanned!(e.span()=> let #i = #e;))
            .collect(),
        exprs: idents.iter().map(|i| quote!(#i)).collect(),
        borrowed,
    }
}

impl Values {
    /// What a check binds of value `i`: inside the checks closure, the local is a reference
    /// to the value the site handed the runtime (see [`site_checks`]).
    fn for_check(&self, i: usize) -> TokenStream {
        self.exprs[i].clone()
    }

    /// The locals as one tuple expression (moved into the site's settlement), and as the
    /// pattern the checks closure takes them apart by.
    fn tuple(&self) -> TokenStream {
        let exprs = &self.exprs;
        quote!((#(#exprs,)*))
    }

    /// The type of [`Self::tuple`], its elements inferred.
    fn tuple_type(&self) -> TokenStream {
        let each = self.exprs.iter().map(|_| quote!(_,));
        quote!((#(#each)*))
    }
}

/// The values in the order the rewritten statement binds them: the one place the analysis's
/// bind order becomes code. `.bind(..)` takes each value as written (or its hoisted local, by
/// reference when the site's checks borrow it too) and a reference to the subject; the query
/// macros take references themselves, so they get the values.
fn ordered(analysis: &Analysis, values: &Values, subject: &Ident, root: &Root) -> Vec<TokenStream> {
    let by_macro = matches!(root, Root::Macro { .. });
    analysis
        .binds
        .iter()
        .map(|bind| match (bind, by_macro) {
            (Bind::User(i), false) if values.borrowed => {
                let local = &values.exprs[*i];
                quote!(&#local)
            }
            (Bind::User(i), _) => values.exprs[*i].clone(),
            (Bind::Subject, false) => quote!(&#subject),
            (Bind::Subject, true) => quote!(#subject),
            (Bind::Claim(claim), false) => {
                let local = Names::claim(claim);
                quote!(&#local)
            }
            (Bind::Claim(claim), true) => Names::claim(claim).into_token_stream(),
        })
        .collect()
}

/// A statement run on the guard; `tells_forbidden` for `deny = 403`, which keeps the
/// statement's existence check. A statement for every backend (`Guard<Any>`) runs the text of
/// its pool's backend, chosen at run time.
///
/// `awaited` is the span of the user's `.await` when they awaited the statement where they
/// wrote it: the code then replaces `<statement>.await` and awaits the query itself, and the
/// runtime settles its result with a plain fn; otherwise it is a future that settles when
/// awaited.
pub fn on_guard(
    chain: &Chain,
    site: &OnGuard,
    names: &Names,
    tells_forbidden: bool,
    awaited: Option<Span>,
) -> Expr {
    let Names {
        scope,
        conn,
        outcome,
        ..
    } = names;
    let each = site.analyses.each();
    let facts = site.analyses.facts();
    let user: Vec<&Expr> = chain.bound_values().collect();
    // Values bound more than once (into the site's checks too, or in the arm of each
    // backend) are evaluated once, into locals. Only a settled result can be denied, so a
    // stream has no checks.
    let tells_forbidden = tells_forbidden && chain.idempotent.is_none();
    let checks = chain.exec.kind().is_some()
        && ((tells_forbidden && facts.existence_check.is_some())
            || (chain.idempotent.is_none() && !facts.conflicts.is_empty()));
    let several = each.len() > 1;
    let values = values(&user, checks || several, checks);
    // The checks are one closure for every backend's arm: the arms' futures are then of one
    // type.
    let closure = Ident::new("__guarded_checks", Span::mixed_site());
    let checks_let = checks.then(|| {
        let body = match each {
            [(_, analysis)] => site_checks(chain, analysis, &values, names, tells_forbidden),
            by_backend => {
                let arms = by_backend.iter().map(|(dialect, analysis)| {
                    let variant = backend_variant(*dialect);
                    let checks = site_checks(chain, analysis, &values, names, tells_forbidden);
                    quote!(#variant => #checks,)
                });
                let backend = Ident::new("__guarded_backend", Span::mixed_site());
                quote!(match #backend { #(#arms)* })
            }
        };
        let all = Ident::new("__guarded_values", Span::mixed_site());
        let (handed, ty) = handed(&values, several);
        quote! {
            let #closure = |#all: &#ty| {
                #[allow(unused_variables)]
                let #handed = #all;
                #body
            };
        }
    });
    let settle = Settle {
        values: &values,
        names,
        checks: checks.then(|| (&closure, handed(&values, several).0)),
        awaited,
    };
    let (backend, body) = match each {
        [(_, analysis)] => (None, settle.run(chain, analysis)),
        by_backend => {
            let backend = Ident::new("__guarded_backend", Span::mixed_site());
            let arms = by_backend.iter().map(|(dialect, analysis)| {
                let variant = backend_variant(*dialect);
                let run = settle.run(chain, analysis);
                quote!(#variant => { #run })
            });
            (
                Some(quote!(let #backend = #scope.backend();)),
                quote!(match #backend { #(#arms)* }),
            )
        }
    };
    // Under the user's executor, so that using the guard for two statements at once is
    // reported there.
    let executor = chain.executor().span();
    let scope = respan(scope, Span::mixed_site().located_at(executor));
    let split = quote_spanned!(executor=> #scope.split());
    let lets = &values.lets;
    // A stream is not settled: its outcome goes unused.
    let unused = chain
        .exec
        .kind()
        .is_none()
        .then(|| quote!(#[allow(unused_variables)]));
    let tokens = quote! {{
        #(#lets)*
        #backend
        #checks_let
        #unused
        let (#conn, #outcome) = #split;
        #body
    }};
    // Verbatim: parsing the tokens back into an `Expr` would only cost compile time; they are
    // printed into the fn unchanged.
    Expr::Verbatim(tokens)
}

/// What a site with checks hands the runtime with its statement, for the checks closure:
/// the values it bound, and the backend whose text ran when there are several; as an
/// expression (or pattern), and as its type.
fn handed(values: &Values, several: bool) -> (TokenStream, TokenStream) {
    let (tuple, ty) = (values.tuple(), values.tuple_type());
    if several {
        let backend = Ident::new("__guarded_backend", Span::mixed_site());
        (
            quote!((#backend, #tuple)),
            quote!((::guarded::__private::Backend, #ty)),
        )
    } else {
        (tuple, ty)
    }
}

/// `guarded::__private::Backend::X`, the arm of `dialect`'s text.
fn backend_variant(dialect: Dialect) -> TokenStream {
    let variant = Ident::new(model::db_type(Backends::One(dialect)), Span::call_site());
    quote!(::guarded::__private::Backend::#variant)
}

/// How a site's statement is run and settled, whatever backend's text it runs.
struct Settle<'a> {
    values: &'a Values,
    names: &'a Names,
    /// The closure that builds the checks of a denial (see [`site_checks`]), if the site has
    /// any, and what is handed to the runtime with it (see [`handed`]).
    checks: Option<(&'a Ident, TokenStream)>,
    /// The user's `.await` of the statement (see [`on_guard`]).
    awaited: Option<Span>,
}

impl Settle<'_> {
    /// The statement as one backend's `analysis` wrote it, run and settled.
    fn run(&self, chain: &Chain, analysis: &Analysis) -> TokenStream {
        let Names {
            subject,
            conn,
            outcome,
            ..
        } = self.names;
        let sql = LitStr::new(&analysis.sql, chain.root.sql().span());
        let query = query(
            chain,
            &sql,
            &ordered(analysis, self.values, subject, &chain.root),
        );
        let method = &chain.run.name;
        let run = if let Some(span) = self.awaited {
            let await_ = Ident::new("await", span);
            quote!(#query.#method(#conn).#await_)
        } else {
            quote!(#query.#method(#conn))
        };
        let Some(kind) = chain.exec.kind() else {
            return run;
        };
        let kind = Ident::new(kind, method.span());
        let zero_rows_denies = analysis.zero_rows_denies && chain.idempotent.is_none();
        let site = site(analysis, zero_rows_denies);
        let later = self.awaited.is_none();
        match &self.checks {
            None => {
                let settle =
                    Ident::new(if later { "settle_later" } else { "settle" }, method.span());
                quote_spanned! {method.span()=>
                    #outcome.#settle(::guarded::__private::exec::#kind, #site, #run)
                }
            }
            // The statement has encoded its values (it binds references) before they move.
            Some((checks, handed)) => {
                let settle = Ident::new(
                    if later {
                        "settle_checked_later"
                    } else {
                        "settle_checked"
                    },
                    method.span(),
                );
                quote_spanned! {method.span()=>
                    #outcome.#settle(
                        ::guarded::__private::exec::#kind, #site, #run, #handed, #checks,
                    )
                }
            }
        }
    }
}

/// What the runtime knows of the site (`guarded::__private::Site::of`): its flags and rows,
/// as two literals.
fn site(analysis: &Analysis, zero_rows_denies: bool) -> TokenStream {
    let flags = u8::from(zero_rows_denies)
        | u8::from(analysis.validity) << 1
        | u8::from(analysis.reads_through_predicate()) << 2;
    let rows = u64::try_from(analysis.rows).unwrap_or(u64::MAX);
    quote!(#flags, #rows)
}

/// The checks that classify a denial of the site on one backend
/// (`guarded::__private::Checks`): the existence check for `deny = 403`, and a conflict check
/// per named condition and version. They are the body of a closure the runtime calls only
/// when the site is denied, with a reference to each value the statement bound.
fn site_checks(
    chain: &Chain,
    analysis: &Analysis,
    values: &Values,
    names: &Names,
    tells_forbidden: bool,
) -> TokenStream {
    let span = chain.root.sql().span();
    let existence = analysis
        .existence_check
        .as_ref()
        .filter(|_| tells_forbidden)
        .map(|c| {
            let sql = LitStr::new(&c.sql, span);
            let binds = c.binds.iter().map(|i| values.for_check(*i));
            quote!(::guarded::__private::sqlx::query(#sql) #(.bind(#binds))*)
        });
    let zero_rows_denies = analysis.zero_rows_denies && chain.idempotent.is_none();
    let conflicts: Vec<TokenStream> = if zero_rows_denies {
        analysis
            .conflicts
            .iter()
            .map(|c| {
                let sql = LitStr::new(&c.sql, span);
                let refusal = c.code.as_ref().map_or_else(
                    || quote!(::guarded::__private::Error::PreconditionFailed),
                    |code| quote!(::guarded::__private::Error::Conflict(#code)),
                );
                let binds = c.binds.iter().map(|bind| match bind {
                    Bind::User(i) => values.for_check(*i),
                    Bind::Subject => {
                        let subject = &names.subject;
                        quote!(::core::clone::Clone::clone(&#subject))
                    }
                    Bind::Claim(claim) => {
                        let local = Names::claim(claim);
                        quote!(::core::clone::Clone::clone(&#local))
                    }
                });
                quote!((#refusal, ::guarded::__private::sqlx::query(#sql) #(.bind(#binds))*))
            })
            .collect()
    } else {
        Vec::new()
    };
    let existence = existence.map_or_else(
        || quote!(::core::option::Option::None),
        |query| quote!(::core::option::Option::Some(#query)),
    );
    quote! {
        ::guarded::__private::Checks {
            existence: #existence,
            conflicts: ::std::vec![#(#conflicts),*],
        }
    }
}

/// The statement with the rewritten SQL, its values in order, and the user's other methods.
fn query(chain: &Chain, sql: &LitStr, ordered: &[TokenStream]) -> TokenStream {
    // A call's binds are replaced by the ordered ones; a macro's chain keeps every method
    // (its values are the macro's arguments).
    let by_call = matches!(chain.root, Root::Call { .. });
    let others = chain
        .methods
        .iter()
        .filter(|m| !(by_call && m.is_bind()))
        .map(|m| {
            let (method, turbofish, args) = (&m.name, &m.turbofish, &m.args);
            quote!(.#method #turbofish (#args))
        });
    match &chain.root {
        Root::Call { call, name, .. } => {
            // The user's path and sqlx's fn must be the same fn item: a name alone never gets
            // the guard's connection (see `same_fn`).
            let constructor = sqlx_fn(&call.func, name);
            quote!(#constructor(#sql) #(.bind(#ordered))* #(#others)*)
        }
        Root::Macro { name, ty, .. } => {
            // sqlx's macro, whatever the user's path names: a macro of the same name in scope
            // never sees the guard's statement.
            let path = sqlx_macro(name);
            let ty = ty.as_ref().map(|ty| quote!(#ty,));
            quote!(#path!(#ty #sql #(, #ordered)*) #(#others)*)
        }
    }
}

/// `func` confirmed by type to be sqlx's fn `name`, spanned on the user's path so that a fn
/// that only shares the name is reported there (see `same_fn`).
fn sqlx_fn(func: &Expr, name: &Ident) -> TokenStream {
    quote_spanned! {func.span()=>
        ::guarded::__private::same_fn(#func, ::guarded::__private::sqlx::#name)
    }
}

/// sqlx's own macro `name`, whatever the user's path names.
fn sqlx_macro(name: &Ident) -> syn::Path {
    syn::parse_quote_spanned!(name.span()=> ::guarded::__private::sqlx::#name)
}

/// A recognised statement that stays off the guard (a read of another table, judged allowed)
/// still runs through sqlx's own constructor: `expr` is the statement or a chain on it, whose
/// root is replaced in place.
pub fn confirm_root(expr: &mut Expr) {
    let mut cursor = expr;
    loop {
        cursor = match cursor {
            Expr::MethodCall(m) => &mut m.receiver,
            Expr::Group(g) => &mut g.expr,
            Expr::Paren(p) => &mut p.expr,
            Expr::Reference(r) => &mut r.expr,
            Expr::Call(call) => {
                if let Expr::Path(func) = &*call.func
                    && let Some(name) = func.path.segments.last().map(|s| s.ident.clone())
                {
                    *call.func = Expr::Verbatim(sqlx_fn(&call.func, &name));
                }
                return;
            }
            Expr::Macro(mac) => {
                if let Some(name) = mac.mac.path.segments.last().map(|s| s.ident.clone()) {
                    mac.mac.path = sqlx_macro(&name);
                }
                return;
            }
            _ => return,
        };
    }
}
