//! `#[guarded(...)]`: the attribute's arguments, parsed with `syn::meta::parser`.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{LitInt, LitStr};

use crate::sql::Dialect;

const OWNER: &str = "owner";
const UNGUARDED: &str = "unguarded";
const DIALECT: &str = "dialect";
const DENY: &str = "deny";
const GUARD: &str = "guard";
const KEYS: &str = "`owner`, `unguarded`, `dialect`, `deny`, `guard`";

/// How a denial is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deny {
    NotFound,
    Forbidden,
}

/// `table.column` of the owner predicate.
#[derive(Debug, Clone)]
pub struct Owner {
    pub table: String,
    pub column: String,
}

/// The attribute, validated.
#[derive(Debug)]
pub struct Args {
    pub owner: Owner,
    pub unguarded: Vec<String>,
    pub dialect: Option<(Dialect, Span)>,
    pub deny: Deny,
    /// `guard = "name"`: the guard parameter, for a `Guard` behind a type alias.
    pub guard: Option<LitStr>,
}

/// The attribute as read, before the required keys are checked.
#[derive(Default)]
pub struct RawArgs {
    owner: Option<Owner>,
    unguarded: Option<Vec<String>>,
    dialect: Option<(Dialect, Span)>,
    deny: Option<Deny>,
    guard: Option<LitStr>,
}

impl RawArgs {
    /// One `key = value` of the attribute.
    pub fn parse(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match key.as_str() {
            OWNER => set(meta, &mut self.owner, parse_owner(&meta.value()?.parse()?)?),
            UNGUARDED => set(
                meta,
                &mut self.unguarded,
                parse_tables(&meta.value()?.parse()?)?,
            ),
            DIALECT => set(
                meta,
                &mut self.dialect,
                parse_dialect(&meta.value()?.parse()?)?,
            ),
            DENY => set(meta, &mut self.deny, parse_deny(&meta.value()?.parse()?)?),
            GUARD => set(meta, &mut self.guard, parse_param(meta.value()?.parse()?)?),
            _ => Err(meta.error(format!("unknown key of #[guarded]; expected one of {KEYS}"))),
        }
    }

    /// Whether `owner` was read.
    pub fn has_owner(&self) -> bool {
        self.owner.is_some()
    }

    /// Checks the required keys; `span` is the attribute's, for a missing `owner`.
    pub fn finish(self, span: Span) -> syn::Result<Args> {
        let owner = self.owner.ok_or_else(|| {
            syn::Error::new(
                span,
                "#[guarded] needs the owner column: #[guarded(owner = \"items.owner_id\")]",
            )
        })?;
        Ok(Args {
            owner,
            unguarded: self.unguarded.unwrap_or_default(),
            dialect: self.dialect,
            deny: self.deny.unwrap_or(Deny::NotFound),
            guard: self.guard,
        })
    }
}

/// Sets a key once: the one place a duplicate is rejected, whatever the key.
fn set<T>(meta: &ParseNestedMeta<'_>, slot: &mut Option<T>, value: T) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error("duplicate key in #[guarded]; give each key once"));
    }
    *slot = Some(value);
    Ok(())
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_owner(lit: &LitStr) -> syn::Result<Owner> {
    let value = lit.value();
    match value.split_once('.') {
        Some((table, column)) if is_identifier(table) && is_identifier(column) => Ok(Owner {
            table: table.to_owned(),
            column: column.to_owned(),
        }),
        _ => Err(syn::Error::new(
            lit.span(),
            "owner must be `table.column` made of identifiers, e.g. \"items.owner_id\"",
        )),
    }
}

fn parse_tables(lit: &LitStr) -> syn::Result<Vec<String>> {
    let tables: Vec<String> = lit
        .value()
        .split(',')
        .map(|t| t.trim().to_owned())
        .collect();
    if tables.iter().all(|t| is_identifier(t)) {
        Ok(tables)
    } else {
        Err(syn::Error::new(
            lit.span(),
            "unguarded must list table names separated by commas, e.g. \"audit_log, events\"",
        ))
    }
}

fn parse_dialect(lit: &LitStr) -> syn::Result<(Dialect, Span)> {
    let dialect = match lit.value().to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => Dialect::Postgres,
        "mysql" | "mariadb" => Dialect::MySql,
        "sqlite" => Dialect::Sqlite,
        _ => {
            return Err(syn::Error::new(
                lit.span(),
                "dialect must be \"postgres\", \"mysql\" or \"sqlite\"",
            ));
        }
    };
    Ok((dialect, lit.span()))
}

fn parse_param(lit: LitStr) -> syn::Result<LitStr> {
    if is_identifier(&lit.value()) {
        Ok(lit)
    } else {
        Err(syn::Error::new(
            lit.span(),
            "guard must name the guard parameter, e.g. guard = \"auth\"",
        ))
    }
}

fn parse_deny(lit: &LitInt) -> syn::Result<Deny> {
    match lit.base10_parse::<u16>()? {
        404 => Ok(Deny::NotFound),
        403 => Ok(Deny::Forbidden),
        _ => Err(syn::Error::new(
            lit.span(),
            "deny must be 404 (the default: no existence leak) or 403",
        )),
    }
}
