//! The crate's policy file: `guarded.toml` next to its `Cargo.toml`, the guarded tables of
//! every `#[guarded]` fn of the crate, each declared once and reviewed in one place:
//!
//! ```toml
//! [tables.items]
//! owner = "owner_id"
//!
//! [tables.favorites]
//! owner = "user_id"
//! read = "public"      # reads carry no predicate; writes still do ("owner" is the default)
//! ```
//!
//! Beyond ownership, a table may grant its rows to others per operation, and every token may
//! have to pass a condition (revocation), each a SQL condition with verified claims as
//! `:name` (see `sql::rule`):
//!
//! ```toml
//! [token]
//! valid = "NOT EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = :jti)"
//!
//! [tables.items.grant]
//! read = "EXISTS (SELECT 1 FROM shares s WHERE s.item_id = items.id AND s.user_id = :sub)"
//! update = "EXISTS (SELECT 1 FROM shares s WHERE s.item_id = items.id AND s.user_id = :sub AND s.can_write)"
//! update_columns = ["title"]   # a grantee sets these; any other column is the owner's
//! delete = "EXISTS (SELECT 1 FROM users u WHERE u.id = :sub AND u.role = 'admin')"
//! ```
//!
//! It is a file and not Rust items because an attribute sees only the fn it is on; cargo
//! rebuilds the crate when the file changes (the expansion includes its bytes, as `.sqlx/` is
//! tracked for sqlx's macros). A mistake in it is a compile error naming `guarded.toml:line:col`.
//! One fn may read another file in its place, named by its attribute's `policy` key.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;
use toml::Spanned;

use crate::Context;
use crate::backend::Backends;

mod keys;
mod rule;
mod scope;
mod table;

pub use rule::{Claim, Part, Rule, RuleError, last_name};
pub use scope::{Scope, conjuncts};
pub use table::{Condition, Grants, Owner};

/// The file's name, next to the crate's `Cargo.toml`.
pub const FILE: &str = "guarded.toml";

/// The variable that names another file in its place: a path relative to the crate's
/// directory, or absolute. Cargo tracks it as it tracks the file ([`track`]).
pub const OVERRIDE: &str = "GUARDED_POLICY";

/// The policy file of the crate being compiled.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Where it is, for the expansion that makes cargo track it.
    pub path: PathBuf,
    pub rules: Rules,
}

/// What the file declares.
#[derive(Debug, Clone)]
pub struct Rules {
    pub owners: Vec<Owner>,
    /// `[token] valid`: AND-ed into the predicate of every reference to a guarded table.
    pub valid: Option<Rule>,
    /// `[database] dialect`: the database of a guard whose type does not say (an alias).
    pub dialect: Option<Backends>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    database: Option<Database>,
    /// `[audit]`: read by `guarded-audit` alone (the unguarded writes a reviewer accepted).
    #[serde(rename = "audit")]
    _audit: Option<toml::Table>,
    token: Option<Token>,
    tables: BTreeMap<Spanned<String>, Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Database {
    dialect: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Token {
    valid: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    owner: Spanned<String>,
    read: Option<Spanned<String>>,
    version: Option<Spanned<String>>,
    scope: Option<Spanned<String>>,
    grant: Option<Grant>,
    conditions: Option<BTreeMap<Spanned<String>, ConditionSpec>>,
}

/// `[tables.items.conditions.archived]`: a state the row must be in for the writes named.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionSpec {
    update: Option<Spanned<String>>,
    delete: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Grant {
    read: Option<Spanned<String>>,
    update: Option<Spanned<String>>,
    update_columns: Option<Spanned<Vec<Spanned<String>>>>,
    delete: Option<Spanned<String>>,
}

impl Policy {
    /// The file's name, as its errors name it.
    pub fn name(&self) -> String {
        name_of(&self.path)
    }
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| FILE.into(), |name| name.to_string_lossy().into_owned())
}

/// A file read, as of its modification time, and whether its error was reported.
type Cached = (SystemTime, Result<Policy, String>, bool);

thread_local! {
    // The guarded fns of a crate read one file, or a few their `policy` keys name: parse each
    // once per change.
    static CACHE: RefCell<BTreeMap<PathBuf, Cached>> = const { RefCell::new(BTreeMap::new()) };
}

/// A fn's policy file: where it is and when it last changed, if it has one. `named` is the
/// attribute's `policy` key, a path relative to the source file holding the attribute (as
/// `include_str!` reads its path); without it, the crate's file, next to its `Cargo.toml` or
/// where [`OVERRIDE`] says. A file the key or [`OVERRIDE`] names must be there: a policy
/// silently missing would drop its grants' limits and its token conditions.
fn located_file(
    named: Option<&str>,
    ctx: &Context,
) -> Result<Option<(PathBuf, SystemTime)>, String> {
    let (path, required) = if let Some(named) = named {
        (named_path(named, ctx)?, Some(format!("`{named}`")))
    } else {
        let Some(path) = crate_file(ctx) else {
            return Ok(None);
        };
        let required = std::env::var_os(OVERRIDE)
            .is_some()
            .then(|| format!("{OVERRIDE}'s `{}`", path.display()));
        (path, required)
    };
    match std::fs::metadata(&path).and_then(|m| m.modified()) {
        Ok(modified) => Ok(Some((path, modified))),
        Err(e) => match required {
            Some(what) => Err(format!("the policy file {what} cannot be read: {e}")),
            None => Ok(None),
        },
    }
}

/// The files a fn's policy is read from ([`load`]): the crate's, where it would be, and the
/// one the `policy` key names. An expansion depends on nothing else outside its tokens.
pub fn files(named: Option<&str>, ctx: &Context) -> Vec<PathBuf> {
    let named = named.and_then(|named| named_path(named, ctx).ok());
    crate_file(ctx).into_iter().chain(named).collect()
}

/// The crate's policy file: next to its `Cargo.toml`, or where [`OVERRIDE`] says.
fn crate_file(ctx: &Context) -> Option<PathBuf> {
    let over = std::env::var_os(OVERRIDE);
    Some(
        ctx.dir()?
            .join(over.as_deref().unwrap_or(std::ffi::OsStr::new(FILE))),
    )
}

/// Where a `policy` key's path leads: from the directory of the source file holding the
/// attribute, unless it is absolute.
fn named_path(named: &str, ctx: &Context) -> Result<PathBuf, String> {
    let path = Path::new(named);
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    ctx.file()
        .and_then(Path::parent)
        .map(|dir| dir.join(path))
        .ok_or_else(|| {
            format!(
                "`policy = \"{named}\"` is read relative to the source file holding the \
                 attribute, which is unknown here: give an absolute path"
            )
        })
}

/// Whether a mistake in a fn's policy file was already reported, at an earlier guarded fn of
/// the crate: the crate does not build, and the other fns say nothing more about it (a crate
/// compiles in one process, which expands its fns one after another).
pub fn reported(named: Option<&str>, ctx: &Context) -> bool {
    let Ok(Some((path, modified))) = located_file(named, ctx) else {
        return false;
    };
    CACHE.with(|cache| {
        cache
            .borrow()
            .get(&path)
            .is_some_and(|(at, policy, reported)| *at == modified && policy.is_err() && *reported)
    })
}

/// A fn's policy file (see [`located_file`] for which): `None` when it has none; an error
/// says where the file is wrong.
///
/// A file the `policy` key names replaces the crate's tables for that fn, never the crate's
/// `[token] valid`: a token the crate refuses (revoked, logged out) is refused by every fn.
/// The named file must carry the same `[token] valid` as the crate's, and the crate's file
/// must be right.
pub fn load(named: Option<&str>, ctx: &Context) -> Result<Option<Policy>, String> {
    let policy = read(named, ctx)?;
    if let (Some(named), Some(own)) = (named, &policy) {
        keeps_token(named, own, ctx)?;
    }
    Ok(policy)
}

/// Whether the file a `policy` key names keeps the crate's `[token] valid`.
fn keeps_token(named: &str, own: &Policy, ctx: &Context) -> Result<(), String> {
    let crate_file = read(None, ctx).map_err(|e| {
        format!(
            "`policy = \"{named}\"` is checked against the crate's policy file, which is wrong: {e}"
        )
    })?;
    let Some(crate_file) = crate_file else {
        return Ok(());
    };
    let parts = |p: &Policy| p.rules.valid.as_ref().map(|rule| rule.parts.clone());
    if parts(&crate_file).is_none() || parts(&crate_file) == parts(own) {
        return Ok(());
    }
    Err(format!(
        "{} does not keep the crate's `[token] valid` ({}): a token the crate refuses would \
         still pass this fn. A fn's own policy file replaces the crate's tables, never its \
         token rule: copy the `[token]` section of {} into it",
        own.name(),
        crate_file.name(),
        crate_file.path.display(),
    ))
}

/// A policy file as read and parsed, once per change (see [`located_file`] for which).
fn read(named: Option<&str>, ctx: &Context) -> Result<Option<Policy>, String> {
    let Some((path, modified)) = located_file(named, ctx)? else {
        return Ok(None);
    };
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((at, policy, reported)) = cache.get_mut(&path)
            && *at == modified
        {
            *reported |= policy.is_err();
            return policy.clone().map(Some);
        }
        let name = name_of(&path);
        let policy = std::fs::read_to_string(&path)
            .map_err(|e| format!("{name}: cannot read it: {e}"))
            .and_then(|text| parse_named(&name, &text))
            .map(|rules| Policy {
                path: path.clone(),
                rules,
            });
        let reported = policy.is_err();
        cache.insert(path, (modified, policy.clone(), reported));
        policy.map(Some)
    })
}

/// What a policy file declares, read as [`FILE`]; an error names the line and column of the
/// mistake.
#[cfg(test)]
pub fn parse(text: &str) -> Result<Rules, String> {
    parse_named(FILE, text)
}

/// The text of a policy file, and the name its errors give it.
#[derive(Clone, Copy)]
struct Text<'a> {
    name: &'a str,
    text: &'a str,
}

/// What the policy file `name` declares; an error names `name`, the line and the column.
fn parse_named(name: &str, text: &str) -> Result<Rules, String> {
    let text = Text { name, text };
    let at = |span: std::ops::Range<usize>, message: &str| located(text, span, message);
    let unknown: Vec<String> = keys::unknown(text.text)
        .into_iter()
        .map(|(span, message)| at(span, &message))
        .collect();
    if !unknown.is_empty() {
        return Err(unknown.join("\n"));
    }
    let file: File = toml::from_str(text.text).map_err(|e| match e.span() {
        Some(span) => at(span, e.message()),
        None => format!("{}: {}", text.name, e.message()),
    })?;
    declared_once(text, file.tables.keys())?;
    // A condition's sub-selects run unguarded: one reading a guarded table would be guarded
    // again inside the guard's own predicate, and its meaning would change with the fn.
    let guarded: Vec<String> = file
        .tables
        .keys()
        .map(|t| t.get_ref().to_ascii_lowercase())
        .collect();
    let mut owners = Vec::new();
    for (table, spec) in file.tables {
        if !is_identifier(table.get_ref()) {
            return Err(at(
                table.span(),
                "a table name is made of letters, digits and `_`",
            ));
        }
        if !is_identifier(spec.owner.get_ref()) {
            return Err(at(
                spec.owner.span(),
                "`owner` names the owner column, e.g. \"owner_id\"",
            ));
        }
        let (public_read, scoped_reads) = reads(text, spec.read.as_ref(), spec.scope.is_some())?;
        let table = table.into_inner();
        let scope = spec
            .scope
            .map(|value| scope_of(text, &value, &table, &guarded))
            .transpose()?
            .map(|scope| Scope {
                on_reads: scoped_reads,
                ..scope
            });
        let rule = |value: Option<Spanned<String>>| {
            value
                .map(|v| condition_of(text, &v, Some(&table), &guarded))
                .transpose()
        };
        let grants = match spec.grant {
            None => Grants::default(),
            Some(grant) => Grants {
                update_columns: grant
                    .update_columns
                    .map(|columns| {
                        update_columns(text, columns, grant.update.as_ref(), &spec.owner)
                    })
                    .transpose()?,
                read: rule(grant.read)?,
                update: rule(grant.update)?,
                delete: rule(grant.delete)?,
            },
        };
        let conditions = conditions(text, &table, spec.conditions.unwrap_or_default())?;
        if let Some(version) = &spec.version
            && !is_identifier(version.get_ref())
        {
            return Err(at(
                version.span(),
                "`version` names the version column, e.g. \"version\"",
            ));
        }
        owners.push(Owner {
            column: spec.owner.into_inner(),
            public_read,
            grants,
            conditions,
            version: spec.version.map(Spanned::into_inner),
            scope,
            table,
        });
    }
    if owners.is_empty() {
        return Err(format!(
            "{}: declares no table; add one: [tables.items] owner = \"owner_id\"",
            text.name
        ));
    }
    let valid = file
        .token
        .map(|token| condition_of(text, &token.valid, None, &guarded))
        .transpose()?;
    let dialect = file
        .database
        .map(|database| database_of(text, &database.dialect))
        .transpose()?;
    Ok(Rules {
        owners,
        valid,
        dialect,
    })
}

/// `read`: whether reads are public, and whether they carry the scope (`anyone` reads across
/// it; `public`, within it).
fn reads(
    text: Text<'_>,
    read: Option<&Spanned<String>>,
    scoped: bool,
) -> Result<(bool, bool), String> {
    let at = |span: std::ops::Range<usize>, message: &str| located(text, span, message);
    match read.map(|r| (r.get_ref().as_str(), r.span())) {
        None | Some(("owner", _)) => Ok((false, true)),
        Some(("public", _)) => Ok((true, true)),
        Some(("anyone", _)) if scoped => Ok((true, false)),
        Some(("anyone", span)) => Err(at(
            span,
            "`read = \"anyone\"` reads across the table's `scope`, which it has not: write \
             \"public\"",
        )),
        Some((_, span)) => Err(at(
            span,
            "`read` is \"owner\" (the default: reads carry the predicate), \"public\" (any \
             reader, within the table's scope) or \"anyone\" (across its scope too)",
        )),
    }
}

/// `[database] dialect`: the backends it names.
fn database_of(text: Text<'_>, value: &Spanned<String>) -> Result<Backends, String> {
    Backends::named(value.get_ref()).ok_or_else(|| {
        located(
            text,
            value.span(),
            "`dialect` is \"postgres\", \"mysql\", \"sqlite\" or \"any\"",
        )
    })
}

/// Each table declared once: every statement matches a table name ignoring ASCII case (as
/// SQLite does, MySQL on some systems, and PostgreSQL for unquoted names), so two spellings
/// are one table declared twice. The error names the second.
fn declared_once<'a>(
    text: Text<'_>,
    tables: impl Iterator<Item = &'a Spanned<String>>,
) -> Result<(), String> {
    let mut declared: Vec<&Spanned<String>> = tables.collect();
    declared.sort_by_key(|t| t.span().start);
    for (i, table) in declared.iter().enumerate() {
        if let Some(first) = declared[..i]
            .iter()
            .find(|t| t.get_ref().eq_ignore_ascii_case(table.get_ref()))
        {
            let (line, _) = position(text.text, first.span().start);
            return Err(located(
                text,
                table.span(),
                &format!(
                    "`{}` is `{}` of line {line}: a statement names a table in any case, so \
                     declare it once",
                    table.get_ref(),
                    first.get_ref()
                ),
            ));
        }
    }
    Ok(())
}

/// `update_columns`: what the update grant lets a grantee set. Only with an update grant, and
/// never the owner column (a transfer is the owner's alone).
fn update_columns(
    text: Text<'_>,
    columns: Spanned<Vec<Spanned<String>>>,
    update: Option<&Spanned<String>>,
    owner: &Spanned<String>,
) -> Result<Vec<String>, String> {
    let at = |span: std::ops::Range<usize>, message: &str| located(text, span, message);
    if update.is_none() {
        return Err(at(
            columns.span(),
            "`update_columns` limits what the `update` grant lets a grantee set; add `update`",
        ));
    }
    let span = columns.span();
    let columns = columns.into_inner();
    if columns.is_empty() {
        return Err(at(
            span,
            "`update_columns` lists at least one column; to grant no update, drop `update`",
        ));
    }
    for column in &columns {
        if !is_identifier(column.get_ref()) {
            return Err(at(
                column.span(),
                "a column name is made of letters, digits and `_`",
            ));
        }
        if column.get_ref().eq_ignore_ascii_case(owner.get_ref()) {
            return Err(at(
                column.span(),
                "the owner column is never a grantee's to set: only the owner moves a row",
            ));
        }
    }
    Ok(columns.into_iter().map(Spanned::into_inner).collect())
}

/// The conditions of `table`, each about its row alone.
fn conditions(
    text: Text<'_>,
    table: &str,
    specs: BTreeMap<Spanned<String>, ConditionSpec>,
) -> Result<Vec<Condition>, String> {
    let at = |span: std::ops::Range<usize>, message: &str| located(text, span, message);
    let mut conditions = Vec::new();
    for (code, condition) in specs {
        if !is_identifier(code.get_ref()) {
            return Err(at(
                code.span(),
                "a condition's name is its 409 `code`: letters, digits and `_`",
            ));
        }
        let state = |value: Option<Spanned<String>>| -> Result<Option<Rule>, String> {
            let Some(value) = value else {
                return Ok(None);
            };
            // A sub-select is refused below, whatever it reads.
            let rule = condition_of(text, &value, Some(table), &[])?;
            if rule.claims().next().is_some() || !rule.reads.is_empty() {
                return Err(at(
                    value.span(),
                    "a named condition is about the row alone (`NOT items.archived`) and \
                     binds no claim, so its 409 tells the caller the row's state and nothing \
                     about who they are: who else may write is a `grant` (OR-ed with the \
                     owner), and what every statement must pass, such as the caller's \
                     tenant, is the table's `scope` (AND-ed)",
                ));
            }
            Ok(Some(rule))
        };
        conditions.push(Condition {
            update: state(condition.update)?,
            delete: state(condition.delete)?,
            code: code.into_inner(),
        });
    }
    Ok(conditions)
}

/// A condition of the file, checked; a mistake names its line and column in the file. Its
/// sub-selects may not read a table of `guarded`.
fn condition_of(
    file: Text<'_>,
    value: &Spanned<String>,
    table: Option<&str>,
    guarded: &[String],
) -> Result<Rule, String> {
    checked(
        file,
        value,
        guarded,
        |text| Rule::parse(text, table),
        |rule| rule,
    )
}

/// A table's `scope`, checked as every condition is.
fn scope_of(
    file: Text<'_>,
    value: &Spanned<String>,
    table: &str,
    guarded: &[String],
) -> Result<Scope, String> {
    checked(
        file,
        value,
        guarded,
        |text| Scope::parse(text, table),
        |scope| &scope.rule,
    )
}

/// What `parse` makes of a condition of the file, its rule checked against `guarded` and its
/// claims; a mistake names its line and column in the file.
fn checked<T>(
    file: Text<'_>,
    value: &Spanned<String>,
    guarded: &[String],
    parse: impl FnOnce(&str) -> Result<T, RuleError>,
    rule_of: impl Fn(&T) -> &Rule,
) -> Result<T, String> {
    let parsed = parse(value.get_ref()).and_then(|parsed| {
        let rule = rule_of(&parsed);
        if let Some(read) = rule.reads.iter().find(|t| guarded.contains(t)) {
            return Err(RuleError {
                at: word(value.get_ref(), read).unwrap_or(0)..0,
                message: format!(
                    "this condition reads `{read}`, a guarded table; a policy's sub-selects \
                     read tables the guard does not guard (shares, roles, revocations)"
                ),
            });
        }
        // A claim other than `sub`, `jti` and `iat` is a field of the claims type, read as
        // `claims.<name>`: it must be a name Rust can use there.
        let keyword = rule.claims().find_map(|claim| match claim {
            Claim::Field(name) if syn::parse_str::<syn::Ident>(name).is_err() => Some(name.clone()),
            _ => None,
        });
        match keyword {
            Some(name) => Err(RuleError {
                at: value.get_ref().find(&format!(":{name}")).unwrap_or(0)..0,
                message: format!(
                    "`:{name}` would be the claims type's field `{name}`, which is a Rust keyword"
                ),
            }),
            None => Ok(parsed),
        }
    });
    parsed.map_err(|e| {
        let start = value.span().start;
        let raw = &file.text[value.span()];
        // The string's first byte in the file: exact when the value is the text between its
        // quotes as written (no escapes); otherwise the string's start.
        let open = ["\"\"\"\n", "'''\n", "\"\"\"", "'''", "\"", "'"]
            .into_iter()
            .find(|q| raw.starts_with(q))
            .map_or(0, str::len);
        let at = if raw[open..].starts_with(value.get_ref().as_str()) {
            start + open + e.at.start
        } else {
            start
        };
        let (line, column) = position(file.text, at);
        format!("{}:{line}:{column}: {}", file.name, e.message)
    })
}

/// Where `name` first stands as a word of `text` (ASCII case ignored).
fn word(text: &str, name: &str) -> Option<usize> {
    let text = text.to_ascii_lowercase();
    let part_of_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).map(|(at, _)| at).find(|&at| {
        !text[..at].ends_with(part_of_word) && !text[at + name.len()..].starts_with(part_of_word)
    })
}

/// `message` at the line and column of `span` in the file.
fn located(text: Text<'_>, span: std::ops::Range<usize>, message: &str) -> String {
    let (line, column) = position(text.text, span.start);
    format!("{}:{line}:{column}: {message}", text.name)
}

/// The 1-based line and column of byte `offset`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Cargo rebuilds the crate when the policy file changes, or [`OVERRIDE`] names another:
/// the file's bytes and the variable's value are part of the fn.
pub fn track(policy_file: Option<&Path>) -> Option<proc_macro2::TokenStream> {
    let path = policy_file?.to_str()?;
    Some(quote::quote!(
        const _: (&[u8], ::core::option::Option<&str>) = (
            ::core::include_bytes!(#path),
            ::core::option_env!(#OVERRIDE),
        );
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_with_their_owner_columns_and_reads() {
        let owners = parse(
            "[tables.items]\nowner = \"owner_id\"\n\n[tables.favorites]\nowner = \"user_id\"\nread = \"public\"\n",
        )
        .expect("a policy")
        .owners;
        let got: Vec<_> = owners
            .iter()
            .map(|o| (o.table.as_str(), o.column.as_str(), o.public_read))
            .collect();
        assert_eq!(
            got,
            [("favorites", "user_id", true), ("items", "owner_id", false)]
        );
    }

    fn merged(attr: proc_macro2::TokenStream, file: Option<&str>) -> Result<Vec<Owner>, String> {
        let cx = crate::ctxt::Ctxt::new();
        let args = crate::args::parse(attr, &cx).expect("an attribute");
        cx.check().expect("a valid attribute");
        let file = file.map(|text| Policy {
            path: PathBuf::from(FILE),
            rules: parse(text).expect("a policy"),
        });
        crate::args::owners(&args, file.as_ref()).map_err(|e| e.to_string())
    }

    #[test]
    fn a_fn_adds_tables_to_the_file_and_changes_none() {
        let file = Some("[tables.items]\nowner = \"owner_id\"\n");
        let both = merged(quote::quote!(owner = "favorites.user_id"), file).expect("merged");
        let tables: Vec<_> = both.iter().map(|o| o.table.as_str()).collect();
        assert_eq!(tables, ["items", "favorites"]);
        assert_eq!(
            merged(quote::quote!(owner = "items.owner_id"), file)
                .expect("the same")
                .len(),
            1
        );
        assert_eq!(merged(quote::quote!(), file).expect("the file's").len(), 1);
        let refused = [
            (
                quote::quote!(owner = "items.author_id"),
                "declares `items.owner_id`",
            ),
            (
                quote::quote!(owner = "items.owner_id", public_read = "items"),
                "set its `read` there",
            ),
        ];
        for (attr, says) in refused {
            let e = merged(attr, file).expect_err("a contradiction");
            assert!(e.contains(says), "{e}");
        }
        let revocation = "[token]\nvalid = \"NOT EXISTS (SELECT 1 FROM favorites f WHERE f.user_id = :sub)\"\n[tables.items]\nowner = \"owner_id\"\n";
        assert!(merged(quote::quote!(), Some(revocation)).is_ok());
        let e = merged(quote::quote!(owner = "favorites.user_id"), Some(revocation))
            .expect_err("a condition reading a guarded table");
        assert!(e.contains("reads `favorites`, a guarded table"), "{e}");
        let e = merged(quote::quote!(), None).expect_err("no owner at all");
        assert!(e.contains("needs the owner column"), "{e}");
    }

    #[test]
    fn the_crates_database_named_once() {
        let rules = parse("[database]\ndialect = \"PostgreSQL\"\n[tables.items]\nowner = \"o\"\n")
            .expect("a policy");
        assert_eq!(
            rules.dialect,
            Some(Backends::One(crate::backend::Dialect::Postgres))
        );
        let e = parse("[database]\ndialect = \"oracle\"\n[tables.items]\nowner = \"o\"\n")
            .expect_err("no such dialect");
        assert!(e.starts_with("guarded.toml:2:11: `dialect` is"), "{e}");
        let e = parse("[database]\nbackend = \"sqlite\"\n[tables.items]\nowner = \"o\"\n")
            .expect_err("unknown key");
        assert!(
            e.starts_with("guarded.toml:2:1: unknown key `database.backend`"),
            "{e}"
        );
    }

    #[test]
    fn a_scope_and_who_reads_across_it() {
        let text = "[tables.notes]\nowner = \"owner_id\"\nscope = \"notes.org_id = :org\"\nread = \"anyone\"\n\n[tables.boards]\nowner = \"owner_id\"\nscope = \"boards.org_id = :org\"\nread = \"public\"\n";
        let owners = parse(text).expect("a policy").owners;
        let got: Vec<_> = owners
            .iter()
            .map(|o| {
                let scope = o.scope.as_ref().expect("scoped");
                (
                    o.table.as_str(),
                    o.public_read,
                    scope.on_reads,
                    scope.reads.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("boards", true, true, vec!["org_id".to_owned()]),
                ("notes", true, false, vec!["org_id".to_owned()]),
            ]
        );
    }

    #[test]
    fn every_mistake_in_a_scope_names_its_line_and_column() {
        let mistakes = [
            (
                "[tables.items]\nowner = \"o\"\nread = \"anyone\"\n",
                "guarded.toml:3:8: `read = \"anyone\"` reads across the table's `scope`",
            ),
            (
                "[tables.items]\nowner = \"o\"\nscope = \"EXISTS (SELECT 1 FROM orgs g WHERE g.id = :org)\"\n",
                "guarded.toml:3:10: a scope decides on the row",
            ),
            (
                "[tables.items]\nowner = \"o\"\nscope = \"items.org = :org AND EXISTS (SELECT 1 FROM boards b)\"\n[tables.boards]\nowner = \"o\"\n",
                "this condition reads `boards`, a guarded table",
            ),
            (
                "[tables.items]\nowner = \"o\"\nscope = \"items.org LIKE :org\"\n",
                "guarded.toml:3:25: compare `:org` with a column by `=`",
            ),
        ];
        for (text, says) in mistakes {
            match parse(text) {
                Ok(owners) => panic!("{text:?} accepted: {owners:?}"),
                Err(e) => assert!(e.starts_with(says) || e.contains(says), "{text:?}: {e}"),
            }
        }
    }

    #[test]
    fn every_mistake_names_its_line_and_column() {
        let mistakes = [
            (
                "[tables.items]\nowner = \"owner id\"\n",
                "guarded.toml:2:9: `owner`",
            ),
            (
                "[tables.items]\nowner = \"o\"\nread = \"all\"\n",
                "guarded.toml:3:8: `read`",
            ),
            (
                "[tables.items]\nownr = \"o\"\n",
                "guarded.toml:2:1: unknown key `tables.items.ownr`",
            ),
            (
                "[tables.items]\n",
                "guarded.toml:1:1: missing field `owner`",
            ),
            (
                "[tables.\"it ems\"]\nowner = \"o\"\n",
                "guarded.toml:1:9: a table name",
            ),
            ("[tables.items\nowner = \"o\"\n", "guarded.toml:1:"),
            ("tables = {}\n", "declares no table"),
            (
                "[tables.items]\nowner = \"o\"\n[tables.items.grant]\nread = \"owner_id = :sub\"\n",
                "guarded.toml:4:9: name the row's column with its table, `items.owner_id`",
            ),
            (
                "[tables.items]\nowner = \"o\"\n[tables.items.grant]\ninsert = \"TRUE\"\n",
                "guarded.toml:4:1: unknown key `tables.items.grant.insert`",
            ),
            (
                "[tables.items]\nowner = \"o\"\n[tables.items_log]\nowner = \"o\"\n[tables.items.grant]\nread = \"EXISTS (SELECT 1 FROM Items_Log l JOIN items_log m ON TRUE)\"\n",
                "guarded.toml:6:31: this condition reads `items_log`, a guarded table",
            ),
            (
                "[tables.items]\nowner = \"o\"\n[tables.items.grant]\nupdate_columns = [\"title\"]\n",
                "guarded.toml:4:18: `update_columns` limits what the `update` grant",
            ),
            (
                "[tables.items]\nowner = \"o\"\n[tables.items.grant]\nupdate = \"TRUE\"\nupdate_columns = [\"title\", \"o\"]\n",
                "guarded.toml:5:28: the owner column is never a grantee's to set",
            ),
            (
                "[tables.items]\nowner = \"o\"\n[tables.items.grant]\nupdate = \"TRUE\"\nupdate_columns = []\n",
                "guarded.toml:5:18: `update_columns` lists at least one column",
            ),
            (
                "[tables.items]\nowner = \"o\"\n[tables.items.grant]\nupdate = \"TRUE\"\nupdate_columns = [\"a b\"]\n",
                "guarded.toml:5:19: a column name",
            ),
            (
                "[tables.items]\nowner = \"o\"\n[tables.items.conditions.archived]\nupdate = \"items.by = :sub\"\n",
                "guarded.toml:4:10: a named condition is about the row alone",
            ),
            (
                "[tables.items]\nowner = \"o\"\n[tables.items.conditions.\"an archive\"]\nupdate = \"NOT items.archived\"\n",
                "guarded.toml:3:26: a condition's name is its 409 `code`",
            ),
            (
                "[token]\nvalid = \"x.y = 1\"\n[tables.items]\nowner = \"o\"\n",
                "guarded.toml:2:10: a token condition reads tables in sub-selects only",
            ),
            (
                "[token]\nvalid = \"\"\"\nNOT EXISTS (SELECT 1 FROM r WHERE r.t = :type)\"\"\"\n[tables.items]\nowner = \"o\"\n",
                "guarded.toml:3:41: `:type` would be the claims type's field `type`",
            ),
            (
                "[tables.items]\nowner = \"owner_id\"\n\n[tables.Items]\nowner = \"author_id\"\n",
                "guarded.toml:4:9: `Items` is `items` of line 1",
            ),
            (
                "[tables.items]\nowner = \"o\"\n[tables.items.grant]\nread = \"EXISTS (SELECT 1 FROM shares s WHERE s.item_id = item.id)\"\n",
                "guarded.toml:4:58: `item` names no table here: qualify a column with one of `items`, `s`",
            ),
            (
                "[tables.items]\nowner = \"o\"\n[tables.items.grant]\nread = \"EXISTS (SELECT 1 FROM shares s WHERE s.item_id = id AND s.user_id = :sub)\"\n",
                "guarded.toml:4:58: qualify `id` with its table",
            ),
            (
                "[tables.items]\nowner = \"o\"\n[tables.items.grant]\nread = \"EXISTS (SELECT 1 FROM users u WHERE u.name LIKE :name)\"\n",
                "guarded.toml:4:57: compare `:name` with a column by `=`",
            ),
        ];
        for (text, says) in mistakes {
            match parse(text) {
                Ok(owners) => panic!("{text:?} accepted: {owners:?}"),
                Err(e) => assert!(e.starts_with(says) || e.contains(says), "{text:?}: {e}"),
            }
        }
    }

    /// A crate directory in the temp dir, removed when dropped.
    struct CrateDir(PathBuf);

    impl CrateDir {
        /// `name` tells apart the directories of one test: the policy cache knows a file by
        /// its path and modification time, which a rewrite may not change.
        fn new(name: &str, files: &[(&str, &str)]) -> Self {
            let dir =
                std::env::temp_dir().join(format!("guarded_policy_{name}_{}", std::process::id()));
            std::fs::create_dir_all(dir.join("src")).expect("temp dir");
            for (name, text) in files {
                std::fs::write(dir.join(name), text).expect("write");
            }
            Self(dir)
        }
    }

    impl Drop for CrateDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_named_file_keeps_the_crates_token_rule() {
        let token =
            "[token]\nvalid = \"NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = :jti)\"\n";
        let other =
            "[token]\nvalid = \"NOT EXISTS (SELECT 1 FROM revoked r WHERE r.sub = :sub)\"\n";
        let tables = "[tables.items]\nowner = \"owner_id\"\n";
        let with_token = format!("{token}{tables}");
        let with_other = format!("{other}{tables}");
        let named = [
            ("src/lax.toml", tables),
            ("src/other.toml", with_other.as_str()),
            ("src/kept.toml", with_token.as_str()),
        ];
        let in_crate = |name: &str, crate_file: &str| {
            let mut files = vec![(FILE, crate_file)];
            files.extend(named);
            let dir = CrateDir::new(name, &files);
            let ctx = Context::crate_dir(&dir.0).in_file(dir.0.join("src/lib.rs"));
            (dir, ctx)
        };
        let (_dir, ctx) = in_crate("token", &with_token);
        for lax in ["lax.toml", "other.toml"] {
            let e = load(Some(lax), &ctx).expect_err(lax);
            assert!(
                e.starts_with(&format!("{lax} does not keep the crate's `[token] valid`")),
                "{e}"
            );
        }
        let kept = load(Some("kept.toml"), &ctx).expect("the same token rule");
        assert!(kept.is_some_and(|p| p.rules.valid.is_some()));
        // Without a token rule in the crate's file there is nothing to keep.
        let (_dir, ctx) = in_crate("tables", tables);
        assert!(load(Some("lax.toml"), &ctx).is_ok());
        // The crate's file must be right even when no fn reads it.
        let (_dir, ctx) = in_crate("broken", "[tables.items]\n");
        let e = load(Some("lax.toml"), &ctx).expect_err("a broken crate file");
        assert!(e.contains("checked against the crate's policy file"), "{e}");
    }

    #[test]
    fn a_named_file_is_found_from_the_source_file_and_must_be_there() {
        let ctx = Context::crate_dir("/crate").in_file("/crate/src/handlers/items.rs");
        assert_eq!(
            named_path("../policies/items.toml", &ctx),
            Ok(PathBuf::from("/crate/src/handlers/../policies/items.toml"))
        );
        assert_eq!(
            named_path("/etc/items.toml", &Context::default()),
            Ok(PathBuf::from("/etc/items.toml"))
        );
        let e = named_path("items.toml", &Context::crate_dir("/crate")).expect_err("no file");
        assert!(e.contains("give an absolute path"), "{e}");
        let e = load(Some("no_such_policy.toml"), &ctx).expect_err("a missing file");
        assert!(
            e.starts_with("the policy file `no_such_policy.toml` cannot be read"),
            "{e}"
        );
    }
}
