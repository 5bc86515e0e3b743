//! `#[guarded(...)]`: the attribute's arguments, parsed with `syn::meta::parser`.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{LitInt, LitStr};

use crate::Context;
use crate::backend::Backends;
use crate::ctxt::Ctxt;
use crate::policy::{self, FILE, Owner, Policy};

const OWNER: &str = "owner";
const UNGUARDED: &str = "unguarded";
const PUBLIC_READ: &str = "public_read";
const DIALECT: &str = "dialect";
const DENY: &str = "deny";
const GUARD: &str = "guard";
const POLICY: &str = "policy";
const KEYS: &str = "`owner`, `public_read`, `unguarded`, `dialect`, `deny`, `guard`, `policy`";

/// The attribute, validated.
#[derive(Debug)]
pub struct Args {
    /// `owner = "items.owner_id, favorites.user_id"`: each guarded table and its owner column,
    /// with the span of the literal; empty when the crate's policy file gives them.
    pub owners: Vec<Owner>,
    pub owner_span: Option<Span>,
    /// `public_read = "favorites"`: tables of `owner` or of the policy file whose reads carry
    /// no predicate, with the span of the literal.
    pub public_read: Option<(Vec<String>, Span)>,
    /// The attribute's first token: where an error about the attribute as a whole goes.
    pub span: Span,
    pub unguarded: Vec<String>,
    pub dialect: Option<(Backends, Span)>,
    /// `deny = 403`: a denial tells "it exists, not yours" (403) from "not there" (404), by
    /// an existence check after the statement decided.
    pub tells_forbidden: bool,
    /// Where `deny = 403` was written.
    pub deny_span: Option<Span>,
    /// `guard = "name"`: the guard parameter, for a `Guard` behind a type alias.
    pub guard: Option<LitStr>,
    /// `policy = "path"`: the fn's policy file in place of the crate's, a path relative to the
    /// source file (as `include_str!` reads one), or absolute.
    pub policy: Option<LitStr>,
}

impl Args {
    /// The fn's policy file: the one its `policy` key names, else the crate's; `None` when
    /// it has none. A mistake in it, or a named file that cannot be read, is an error under
    /// the key's string, else under the attribute.
    pub fn policy_file(&self, ctx: &Context) -> Result<Option<Policy>, syn::Error> {
        policy::load(self.named_policy().as_deref(), ctx)
            .map_err(|message| syn::Error::new(self.policy_span(), message))
    }

    /// Whether a mistake in the fn's policy file was already reported at an earlier fn.
    pub fn policy_reported(&self, ctx: &Context) -> bool {
        policy::reported(self.named_policy().as_deref(), ctx)
    }

    /// The attribute's `policy` key, a path.
    pub fn named_policy(&self) -> Option<String> {
        self.policy.as_ref().map(LitStr::value)
    }

    /// Where an error about the policy file goes.
    fn policy_span(&self) -> Span {
        self.policy.as_ref().map_or(self.span, LitStr::span)
    }
}

/// Reads the attribute; every problem found is reported to `cx`.
pub fn parse(attr: TokenStream, cx: &Ctxt) -> Option<Args> {
    let span = attribute_span(&attr);
    let mut raw = RawArgs::default();
    let parser = syn::meta::parser(|meta| raw.parse(&meta));
    if let Err(e) = syn::parse::Parser::parse2(parser, attr) {
        cx.push(e);
        // The owner may be missing only because parsing stopped: saying so would be a
        // second error about the same mistake.
        raw.owner.as_ref()?;
    }
    Some(raw.finish(span))
}

/// Where errors about the attribute as a whole go: its first token, else the call site.
pub fn attribute_span(attr: &TokenStream) -> Span {
    attr.clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |tt| tt.span())
}

/// The attribute as read, before the required keys are checked.
#[derive(Default)]
struct RawArgs {
    owner: Option<(Vec<Owner>, Span)>,
    unguarded: Option<Vec<String>>,
    public_read: Option<(Vec<String>, Span)>,
    dialect: Option<(Backends, Span)>,
    deny: Option<(bool, Span)>,
    guard: Option<LitStr>,
    policy: Option<LitStr>,
}

impl RawArgs {
    /// One `key = value` of the attribute.
    fn parse(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match key.as_str() {
            OWNER => {
                let lit: LitStr = meta.value()?.parse()?;
                let owners = parse_owner(&lit)?;
                set(meta, &mut self.owner, (owners, lit.span()))
            }
            UNGUARDED => set(
                meta,
                &mut self.unguarded,
                parse_tables(&meta.value()?.parse()?, UNGUARDED)?,
            ),
            PUBLIC_READ => {
                let lit: LitStr = meta.value()?.parse()?;
                let tables = parse_tables(&lit, PUBLIC_READ)?;
                set(meta, &mut self.public_read, (tables, lit.span()))
            }
            DIALECT => set(
                meta,
                &mut self.dialect,
                parse_dialect(&meta.value()?.parse()?)?,
            ),
            DENY => {
                let lit: LitInt = meta.value()?.parse()?;
                set(meta, &mut self.deny, (parse_deny(&lit)?, lit.span()))
            }
            GUARD => set(meta, &mut self.guard, parse_param(meta.value()?.parse()?)?),
            POLICY => set(meta, &mut self.policy, parse_path(meta.value()?.parse()?)?),
            _ => Err(meta.error(format!("unknown key of #[guarded]; expected one of {KEYS}"))),
        }
    }

    /// The attribute; `span` is its own, for a missing `owner`.
    fn finish(self, span: Span) -> Args {
        let (owners, owner_span) = match self.owner {
            Some((owners, span)) => (owners, Some(span)),
            None => (Vec::new(), None),
        };
        Args {
            span,
            owners,
            owner_span,
            public_read: self.public_read,
            unguarded: self.unguarded.unwrap_or_default(),
            dialect: self.dialect,
            tells_forbidden: self.deny.is_some_and(|(forbidden, _)| forbidden),
            deny_span: self.deny.map(|(_, span)| span),
            guard: self.guard,
            policy: self.policy,
        }
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

pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A DynamoDB table name (3 to 255 of `A-Z a-z 0-9 _ - .`): the attribute takes one, and
/// the SQL expansion then refuses what is not an identifier.
pub fn is_table_name(s: &str) -> bool {
    (3..=255).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// `table.column`, or several separated by commas: one owner column per guarded table. The
/// column follows the last `.`, so a DynamoDB table name may hold dots.
fn parse_owner(lit: &LitStr) -> syn::Result<Vec<Owner>> {
    let mut owners: Vec<Owner> = Vec::new();
    for part in lit.value().split(',').map(str::trim) {
        let owner = match part.rsplit_once('.') {
            Some((table, column))
                if (is_identifier(table) || is_table_name(table)) && is_identifier(column) =>
            {
                Owner::new(table, column)
            }
            _ => {
                return Err(syn::Error::new(
                    lit.span(),
                    "owner must be `table.column` made of identifiers, e.g. \"items.owner_id\", \
                     or several separated by commas: \"articles.author_id, favorites.user_id\"",
                ));
            }
        };
        if owners
            .iter()
            .any(|o| o.table.eq_ignore_ascii_case(&owner.table))
        {
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "`{}` is given twice; give each table one owner column",
                    owner.table
                ),
            ));
        }
        owners.push(owner);
    }
    Ok(owners)
}

fn parse_tables(lit: &LitStr, key: &str) -> syn::Result<Vec<String>> {
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
            format!("{key} must list table names separated by commas, e.g. \"audit_log, events\""),
        ))
    }
}

fn parse_dialect(lit: &LitStr) -> syn::Result<(Backends, Span)> {
    let dialect = Backends::named(&lit.value()).ok_or_else(|| {
        syn::Error::new(
            lit.span(),
            "dialect must be \"postgres\", \"mysql\", \"sqlite\" or \"any\"",
        )
    })?;
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

fn parse_path(lit: LitStr) -> syn::Result<LitStr> {
    if lit.value().trim().is_empty() {
        Err(syn::Error::new(
            lit.span(),
            "policy must name a policy file, relative to this source file, e.g. \
             policy = \"policies/items.toml\"",
        ))
    } else {
        Ok(lit)
    }
}

/// Whether a denial tells 403 from 404.
fn parse_deny(lit: &LitInt) -> syn::Result<bool> {
    match lit.base10_parse::<u16>()? {
        404 => Ok(false),
        403 => Ok(true),
        _ => Err(syn::Error::new(
            lit.span(),
            "deny must be 404 (the default: no existence leak) or 403",
        )),
    }
}

/// The guarded tables of a fn: the policy file's, and those its attribute names (the
/// one-line shorthand, `owner = "items.owner_id"`), which may add tables (and make their
/// reads public) but not change what the file declares.
pub fn owners(args: &Args, file: Option<&Policy>) -> Result<Vec<Owner>, syn::Error> {
    let mut owners = file.map(|f| f.rules.owners.clone()).unwrap_or_default();
    let name = file.map_or_else(|| FILE.to_owned(), Policy::name);
    for owner in &args.owners {
        match owners
            .iter()
            .find(|o| o.table.eq_ignore_ascii_case(&owner.table))
        {
            Some(declared) if !declared.column.eq_ignore_ascii_case(&owner.column) => {
                return Err(syn::Error::new(
                    args.owner_span.unwrap_or(args.span),
                    format!(
                        "{name} declares `{}.{}`; a fn cannot give the table another owner \
                         column",
                        declared.table, declared.column
                    ),
                ));
            }
            Some(_) => {}
            None => owners.push(owner.clone()),
        }
    }
    if owners.is_empty() {
        return Err(syn::Error::new(
            args.span,
            format!(
                "#[guarded] needs the owner column: #[guarded(owner = \"items.owner_id\")], or \
                 the crate's tables in {FILE} next to its Cargo.toml: \
                 [tables.items] owner = \"owner_id\""
            ),
        ));
    }
    if let Some((tables, span)) = &args.public_read {
        for table in tables {
            if file.is_some_and(|f| {
                f.rules
                    .owners
                    .iter()
                    .any(|o| o.table.eq_ignore_ascii_case(table))
            }) {
                return Err(syn::Error::new(
                    *span,
                    format!("{name} declares who reads `{table}`: set its `read` there"),
                ));
            }
            let owner = owners
                .iter_mut()
                .find(|o| o.table.eq_ignore_ascii_case(table))
                .ok_or_else(|| {
                    syn::Error::new(
                        *span,
                        format!(
                            "`{table}` is not a guarded table; `public_read` lists tables of \
                             `owner` whose reads carry no predicate"
                        ),
                    )
                })?;
            owner.public_read = true;
        }
    }
    // The file's conditions were checked against its own tables when it was read (see
    // `parse`); a table the attribute adds is checked here.
    let rules =
        file.and_then(|f| f.rules.valid.as_ref())
            .into_iter()
            .chain(owners.iter().flat_map(|o| {
                [&o.grants.read, &o.grants.update, &o.grants.delete]
                    .into_iter()
                    .flatten()
                    .chain(o.scope.as_ref().map(|s| &s.rule))
            }));
    for rule in rules {
        if let Some(owner) = owners
            .iter()
            .find(|o| rule.reads.iter().any(|t| t.eq_ignore_ascii_case(&o.table)))
        {
            return Err(syn::Error::new(
                args.span,
                format!(
                    "a condition in {name} reads `{}`, a guarded table; a policy's \
                     sub-selects read tables the guard does not guard (shares, roles, \
                     revocations)",
                    owner.table
                ),
            ));
        }
    }
    Ok(owners)
}
