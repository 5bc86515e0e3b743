//! The guarded tables of a `Guard<DynamoDb>` fn as the runtime reads them: each defined once
//! for the fn (`definitions`), and named by every request on it.

use std::cell::RefCell;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Expr;

use super::request::Target;
use super::scope;
use crate::policy::Owner;

/// The guarded tables, as the expansion hands them to the runtime.
pub struct Tables {
    /// Which of `owners`, then of `unguarded`, a request names: each is defined once.
    pub used: RefCell<Vec<bool>>,
    pub owners: Vec<Owner>,
    /// `deny = 403`: a request on another's item is a 403, not a 404.
    pub tells_forbidden: bool,
    /// Each owner's conditions, as the runtime's `Condition` values.
    pub conditions: Vec<Vec<TokenStream>>,
    /// Each owner's grants, as the runtime's `Grants`.
    pub grants: Vec<TokenStream>,
    /// The policy's `[token] valid`, as the runtime's `Check`s.
    pub valid: Vec<TokenStream>,
    /// The tables requested without the owner's condition.
    pub unguarded: Vec<String>,
    /// Each owner's scope, as attributes equal to claims.
    pub scopes: Vec<Vec<scope::Pair>>,
    /// Where a field a scope compares with is read: the attribute.
    pub span: proc_macro2::Span,
}

impl Tables {
    /// The `at`-th guarded table's definition, by the name `definitions` gives it.
    pub fn table(&self, at: usize) -> TokenStream {
        self.used.borrow_mut()[at] = true;
        let name = name(at);
        quote!(#name)
    }

    /// The `at`-th unguarded table's definition, by the name `definitions` gives it.
    pub fn unguarded(&self, at: usize) -> TokenStream {
        let at = self.owners.len() + at;
        self.used.borrow_mut()[at] = true;
        let name = name(at);
        quote!(#name)
    }

    /// The definitions of the tables the fn's requests name, as items of its body: consts,
    /// so the conditions' nested references are `'static`.
    pub fn definitions(&self) -> Vec<syn::Stmt> {
        let used = self.used.borrow();
        let owners = self.owners.iter().enumerate().map(|(at, owner)| {
            let table = self.definition(owner);
            (at, quote!(::guarded::__private::dynamo::Table), table)
        });
        let free = self.unguarded.iter().enumerate().map(|(at, free)| {
            let table = self.unguarded_definition(free);
            (
                self.owners.len() + at,
                quote!(::guarded::__private::dynamo::Unguarded),
                table,
            )
        });
        owners
            .chain(free)
            .filter(|(at, ..)| used[*at])
            .map(|(at, ty, table)| {
                let name = name(at);
                syn::Stmt::Item(syn::Item::Verbatim(quote!(const #name: #ty = #table;)))
            })
            .collect()
    }

    /// What the runtime knows of a guarded table.
    fn definition(&self, owner: &Owner) -> TokenStream {
        let Owner {
            table,
            column,
            version,
            ..
        } = owner;
        let deny = if self.tells_forbidden {
            quote!(Forbidden)
        } else {
            quote!(NotFound)
        };
        let at = self.owners.iter().position(|o| o.table == *table);
        let conditions = at.map(|at| &self.conditions[at][..]).unwrap_or_default();
        let grants = at.map(|at| self.grants[at].clone()).unwrap_or_default();
        let valid = &self.valid;
        let scope = scope::tokens(at.map(|at| &self.scopes[at][..]).unwrap_or_default());
        let version = version.as_ref().map_or_else(
            || quote!(::core::option::Option::None),
            |v| quote!(::core::option::Option::Some(#v)),
        );
        quote! {
            ::guarded::__private::dynamo::Table {
                name: #table,
                owner: #column,
                deny: ::guarded::__private::Deny::#deny,
                conditions: &[#(#conditions),*],
                version: #version,
                valid: &[#(#valid),*],
                grants: #grants,
                scope: #scope,
            }
        }
    }

    /// The scope of `owner`'s table, if it has one.
    pub fn scope_of(&self, owner: &Owner) -> Option<&[scope::Pair]> {
        let at = self.owners.iter().position(|o| o.table == owner.table)?;
        Some(&self.scopes[at][..]).filter(|pairs| !pairs.is_empty())
    }

    /// The claims of the application's type the scopes of `target` compare with (a
    /// transaction may write any guarded table: every scope's), read from `guard`'s claims:
    /// `("org", Some(value))`, `None` for an `Option` field that holds none (the runtime
    /// answers 401 `missing_claim` when a request needs it). A field the claims type lacks,
    /// or whose type DynamoDB cannot compare, is a compile error at the attribute.
    pub fn fields(&self, guard: &Expr, target: Target) -> TokenStream {
        let span = self.span;
        let fields = match target {
            Target::One(at) => scope::fields(self.scope_of(&self.owners[at])),
            Target::Every => scope::fields(self.scopes.iter().map(Vec::as_slice)),
            Target::Unguarded(_) => Vec::new(),
        };
        let fields = fields.iter().map(|field| {
            let ident = syn::Ident::new(field, span);
            quote_spanned! {span=>
                (#field, {
                    #[allow(unused_imports)]
                    use ::guarded::__private::{ClaimOption as _, ClaimValue as _};
                    ::guarded::__private::dynamo::field(
                        (&::guarded::__private::Present(
                            &::guarded::__private::dynamo::claims(&#guard).#ident,
                        ))
                            .present(),
                    )
                })
            }
        });
        quote!([#(#fields),*])
    }

    /// What the runtime knows of an unguarded table.
    fn unguarded_definition(&self, name: &str) -> TokenStream {
        let valid = &self.valid;
        quote!(::guarded::__private::dynamo::Unguarded { name: #name, valid: &[#(#valid),*] })
    }
}

/// The name of the fn's `at`-th table definition.
fn name(at: usize) -> syn::Ident {
    format_ident!("__GUARDED_TABLE_{at}")
}
