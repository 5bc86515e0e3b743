//! Code generation: the wrapped fn, and each statement site run through the guard's scope.
//!
//! Generated code names only `::guarded::__private::...` and `__guarded_*` locals with
//! mixed-site hygiene, so nothing in the user's scope can change its meaning.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident, ItemFn, LitStr, ReturnType};

use crate::args::{Args, Deny};
use crate::body::Found;
use crate::model::Model;
use crate::sites::{Chain, Root};
use crate::sql::{Analysis, Bind};

/// Names shared by the fn wrapper and its sites.
pub struct SiteCtx {
    scope: Ident,
    subject: Ident,
    conn: Ident,
    outcome: Ident,
    classify: bool,
}

impl SiteCtx {
    /// `guard` is the user's guard parameter: the scope takes its name (with the macro's own
    /// hygiene, so the body cannot reach it), and a borrow error then speaks of the guard.
    pub fn new(deny: Deny, guard: &Ident) -> Self {
        let name = |n: &str| Ident::new(n, Span::mixed_site());
        Self {
            scope: respan(guard, Span::mixed_site()),
            subject: name("__guarded_subject"),
            conn: name("__guarded_conn"),
            outcome: name("__guarded_outcome"),
            classify: deny == Deny::Forbidden,
        }
    }
}

/// The same name (raw or not) with another span: another place, or another hygiene.
fn respan(ident: &Ident, span: Span) -> Ident {
    let mut ident = ident.clone();
    ident.set_span(span);
    ident
}

/// The user's values, hoisted into locals when the denial check binds them a second time.
struct Values {
    lets: Vec<TokenStream>,
    exprs: Vec<TokenStream>,
}

fn values(user: &[&Expr], hoist: bool) -> Values {
    if !hoist {
        return Values {
            lets: Vec::new(),
            exprs: user.iter().map(|e| quote!(#e)).collect(),
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
        exprs: idents.iter().map(|i| quote!(&#i)).collect(),
    }
}

/// The values in the order the rewritten statement binds them: the one place the analysis's
/// bind order becomes code. `.bind(..)` takes each value as written (or a reference to its
/// hoisted local) and a reference to the subject; the query macros take references
/// themselves, so they get the values.
fn ordered(analysis: &Analysis, values: &Values, subject: &Ident, root: &Root) -> Vec<TokenStream> {
    let by_macro = matches!(root, Root::Macro { .. });
    let hoisted = !values.lets.is_empty();
    analysis
        .binds
        .iter()
        .map(|bind| match (bind, by_macro) {
            (Bind::User(i), true) if hoisted => {
                let local = &values.exprs[*i];
                quote!(*#local)
            }
            (Bind::User(i), _) => values.exprs[*i].clone(),
            (Bind::Subject, false) => quote!(&#subject),
            (Bind::Subject, true) => quote!(#subject),
        })
        .collect()
}

/// One site run on the guard.
pub fn site(chain: &Chain, analysis: &Analysis, ctx: &SiteCtx) -> Expr {
    let SiteCtx {
        scope,
        subject,
        conn,
        outcome,
        ..
    } = ctx;
    let sql = LitStr::new(&analysis.sql, chain.root.sql().span());
    let user: Vec<&Expr> = match &chain.root {
        Root::Call { .. } => chain
            .methods
            .iter()
            .filter(|m| m.is_bind())
            .map(|m| &m.args[0])
            .collect(),
        Root::Macro { args, .. } => args.iter().collect(),
    };
    let classify = analysis.classify.as_ref().filter(|_| ctx.classify);
    let values = values(&user, classify.is_some());
    let query = query(
        chain,
        &sql,
        &ordered(analysis, &values, subject, &chain.root),
    );
    let set_classify = classify.map(|c| {
        let sql = LitStr::new(&c.sql, chain.root.sql().span());
        let binds = c.binds.iter().map(|i| &values.exprs[*i]);
        quote!(#outcome.set_classify(::guarded::__private::sqlx::query(#sql) #(.bind(#binds))*);)
    });
    // Under the user's executor, so that using the guard for two statements at once is
    // reported there.
    let executor = chain.exec.args[0].span();
    let scope = respan(scope, Span::mixed_site().located_at(executor));
    let split = quote_spanned!(executor=> #scope.split());
    let method = &chain.exec.name;
    let lets = &values.lets;
    let zero_rows_denies = analysis.zero_rows_denies;
    let run = if method == "fetch" {
        quote!(#query.#method(#conn))
    } else {
        quote_spanned! {method.span()=>
            #outcome.#method(
                &::guarded::__private::Site { zero_rows_denies: #zero_rows_denies },
                #query.#method(#conn),
            )
        }
    };
    let tokens = quote! {{
        #(#lets)*
        #[allow(unused_variables)]
        let (#conn, #outcome) = #split;
        #set_classify
        #run
    }};
    // Verbatim: parsing the tokens back into an `Expr` would only cost compile time; they are
    // printed into the fn unchanged.
    Expr::Verbatim(tokens)
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

/// The fn with its body run inside the guard's scope.
pub fn function(
    item: ItemFn,
    args: &Args,
    model: &Model,
    found: &Found,
    ctx: &SiteCtx,
) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
        ..
    } = item;
    let guard = &model.guard.ident;
    let SiteCtx { scope, subject, .. } = ctx;
    let ret = format_ident!("__guarded_ret", span = Span::mixed_site());
    let touch = model.guard.mutable.then(|| quote!(let _ = &mut #guard;));
    let name = sig.ident.to_string();
    let table = &args.owner.table;
    let transactional = found.guard_sites > 1 || found.repeated || ctx.classify;
    let writes = found.writes;
    // Without a transaction there is nothing to commit: the body runs in the fn itself,
    // its returns rewritten to end through the scope (see `returns.rs`).
    let inline = !transactional && !found.returns_in_site && crate::returns::rewritable(&block);
    let mut block = *block;
    if inline {
        crate::returns::through_finish(&mut block, scope);
    }
    // `impl Trait` cannot annotate a let; the tail call then carries the type instead.
    let body = match &sig.output {
        ReturnType::Type(_, ty) if !contains_impl(ty) => quote! {
            let #ret: #ty = #block;
            #[allow(unreachable_code)]
            #ret
        },
        _ => quote!(#block),
    };
    // Spanned on the return type: a fn that does not return `Result<T, E>` with
    // `E: From<guarded::Error>` is told so under its return type.
    let ret_span = match &sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => sig.ident.span(),
    };
    // `__guarded_` names are the macro's own; this one carries the return type's span so
    // that rustc reports a wrong return type there (a mixed-site span shows the attribute).
    let out = Ident::new("__guarded_out", ret_span);
    let (out_expr, finish) = if inline {
        (
            quote!({ #body }),
            quote_spanned!(ret_span=> #scope.finish_single(#out)),
        )
    } else {
        (
            quote!(async { #body }.await),
            quote_spanned!(ret_span=> #scope.finish(#out).await),
        )
    };
    let meta = quote! {
        &::guarded::__private::FnMeta {
            name: #name,
            table: #table,
            writes: #writes,
        }
    };
    // A transaction is opened before the body; a single statement acquires its connection
    // from the pool as it runs, like a hand-written one, so the fn awaits nothing extra.
    let scope_init = if transactional {
        quote_spanned! {ret_span=>
            match ::guarded::__private::Scope::begin(&#guard, #meta).await {
                ::guarded::__private::Ok(scope) => scope,
                ::guarded::__private::Err(e) => return ::guarded::__private::fail(e),
            }
        }
    } else {
        quote!(::guarded::__private::Single::new(&#guard, #meta))
    };
    // A `dialect` given next to a guard whose database the macro could not read (an alias) is
    // confirmed by type: statements written for one database never run on another.
    // The body sees a view of the guard, not the `Guard`: handed on to another guarded fn, a
    // `Guard` would open a second scope that waits on this one's locks (see `GuardRef`).
    let same_db = args.dialect.map(|(dialect, span)| {
        let db = Ident::new(crate::model::name(dialect), span);
        // The user's name at the dialect's place: the error sits under the dialect alone.
        let guard = respan(guard, span);
        quote_spanned!(span=> ::guarded::__private::same_db::<::guarded::__private::sqlx::#db, _>(&#guard);)
    });
    quote! {
        #(#attrs)*
        #vis #sig {
            #touch
            #same_db
            let #subject = ::guarded::__private::subject(&#guard);
            let mut #scope = #scope_init;
            #[allow(unused_variables, unused_mut)]
            let mut #guard = ::guarded::__private::view(&#guard);
            let #out = #out_expr;
            #[allow(unreachable_code)]
            #finish
        }
    }
}

fn contains_impl(ty: &syn::Type) -> bool {
    fn scan(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|tt| match tt {
            proc_macro2::TokenTree::Ident(i) => i == "impl",
            proc_macro2::TokenTree::Group(g) => scan(g.stream()),
            _ => false,
        })
    }
    scan(quote!(#ty))
}
