//! A kept expansion is replayed only over the same tokens, policy files and context, and is
//! then the expansion of the tokens it is replayed over, spans and all.
//!
//! These tests run outside a compiler, where `proc-macro2`'s spans are places in the text it
//! parsed (its `span-locations` feature) and hygiene is not seen; inside the compiler, every
//! token of a tape is checked as it is written (`record`), and the project's CI builds its
//! examples and integration suite again with `GUARDED_ANALYSIS_CACHE=check`, which compares
//! each replay with the fn expanded again.

use std::cell::Cell;
use std::path::PathBuf;
use std::str::FromStr;

use proc_macro2::TokenStream;

use super::fingerprint;
use crate::Context;
use crate::cache::Cache;

/// A crate directory under the temp dir, with its cache, removed on drop.
struct Crate(PathBuf);

impl Crate {
    fn new(name: &str, policy: Option<&str>) -> Self {
        let dir =
            std::env::temp_dir().join(format!("guarded_replay_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).expect("crate dir");
        if let Some(policy) = policy {
            std::fs::write(dir.join("guarded.toml"), policy).expect("policy");
        }
        Self(dir)
    }

    fn ctx(&self) -> Context {
        Context::crate_dir(&self.0).in_file(self.0.join("src/lib.rs"))
    }

    fn cache(&self) -> Cache {
        Cache::at(self.0.join("target/guarded-analyses"))
    }

    fn entries(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.0.join("target/guarded-analyses"))
            .map(|dir| dir.map(|e| e.expect("entry").path()).collect())
            .unwrap_or_default()
    }
}

impl Drop for Crate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `text` lexed again: the same tokens at new places.
fn tokens(text: &str) -> TokenStream {
    TokenStream::from_str(text).expect("tokens")
}

/// The fn through the cache, counting the expansions that ran.
fn through(
    cache: &Cache,
    ctx: &Context,
    attr: &str,
    item: &str,
    ran: &Cell<usize>,
    checking: bool,
) -> TokenStream {
    through_tokens(cache, ctx, tokens(attr), tokens(item), ran, checking)
}

fn through_tokens(
    cache: &Cache,
    ctx: &Context,
    attr: TokenStream,
    item: TokenStream,
    ran: &Cell<usize>,
    checking: bool,
) -> TokenStream {
    cache.expansion(attr, item, &ctx.describe(), checking, |attr, item| {
        ran.set(ran.get() + 1);
        crate::expand::attribute(attr, item, ctx)
    })
}

const POLICY: &str = r#"
[token]
valid = "NOT EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = :jti AND r.at > :iat)"

[tables.items]
owner = "owner_id"
version = "version"

[tables.items.grant]
read = "EXISTS (SELECT 1 FROM shares s WHERE s.item_id = items.id AND s.user_id = :sub)"
update = "EXISTS (SELECT 1 FROM shares s WHERE s.item_id = items.id AND s.user_id = :sub)"
update_columns = ["title"]

[tables.items.conditions.archived]
update = "NOT items.archived"
"#;

/// Fns of every shape the expansion writes: one statement inline, a transaction, a policy's
/// grants, conditions and token rule, a user macro whose groups stay as written, a raw name,
/// a string with escapes, a `dialect` confirmed by type, `Guard<Any>`, DynamoDB.
const FNS: &[(&str, &str)] = &[
    (
        r#"owner = "items.owner_id""#,
        r#"pub async fn rename(mut guard: Guard<Sqlite>, Path(id): Path<i64>, r#type: String)
            -> Result<StatusCode, guarded::Error> {
            let note = format!("{}: {:?}", r#type, vec![(1, "a\"b")]);
            sqlx::query("UPDATE items SET title = ? WHERE id = ?")
                .bind(note)
                .bind(id)
                .execute(&mut guard)
                .await?;
            Ok(StatusCode::NO_CONTENT)
        }"#,
    ),
    (
        r#"owner = "items.owner_id""#,
        r#"async fn both(mut guard: Guard<Postgres>, id: i64) -> Result<Json<(String, i64)>, AppError> {
            let row: (String, i64) = sqlx::query_as("SELECT title, version FROM \"items\" WHERE id = $1")
                .bind(id)
                .fetch_one(&mut guard)
                .await?;
            sqlx::query("UPDATE items SET title = $1, version = version + 1 WHERE id = $2")
                .bind(&row.0)
                .bind(id)
                .execute(&mut guard)
                .await?;
            Ok(Json(row))
        }"#,
    ),
    (
        r#"owner = "items.owner_id", dialect = "postgres""#,
        r#"async fn alias(mut guard: Guard<Db>, id: i64) -> Result<(), guarded::Error> {
            sqlx::query("DELETE FROM items WHERE id = $1").bind(id).execute(&mut guard).await?;
            Ok(())
        }"#,
    ),
    (
        r#"owner = "items.owner_id""#,
        r#"async fn any(mut guard: Guard<Any>, id: i64) -> Result<(), guarded::Error> {
            sqlx::query("DELETE FROM items WHERE id = ?").bind(id).execute(&mut guard).await?;
            Ok(())
        }"#,
    ),
    (
        r#"owner = "items.owner_id""#,
        r#"async fn put(guard: Guard<DynamoDb>, id: String) -> Result<(), AppError> {
            guard.client().delete_item().table_name("items").key("id", AttributeValue::S(id)).send().await?;
            Ok(())
        }"#,
    ),
];

#[test]
fn a_replay_is_the_expansion_of_the_tokens_it_is_replayed_over() {
    for policy in [None, Some(POLICY)] {
        let krate = Crate::new("same", policy);
        let (ctx, cache) = (krate.ctx(), krate.cache());
        let ran = Cell::new(0);
        for (n, (attr, item)) in FNS.iter().enumerate() {
            let first = through(&cache, &ctx, attr, item, &ran, false);
            assert_eq!(ran.get(), n + 1, "{item}: the first expansion runs");
            assert!(!first.to_string().contains("compile_error"), "{first}");
            // The same tokens lexed again: at other places, as after an edit above the fn.
            let (again_attr, again_item) = (tokens(attr), tokens(item));
            let replayed = through_tokens(
                &cache,
                &ctx,
                again_attr.clone(),
                again_item.clone(),
                &ran,
                false,
            );
            assert_eq!(ran.get(), n + 1, "{item}: the second is replayed");
            let expanded = crate::expand::attribute(again_attr, again_item, &ctx).0;
            assert_eq!(fingerprint(&replayed), fingerprint(&expanded), "{item}");
            // ... and not the first expansion's spans: the tape names input tokens, not places.
            assert_ne!(fingerprint(&replayed), fingerprint(&first), "{item}");
            assert_eq!(replayed.to_string(), first.to_string(), "{item}");
        }
        assert_eq!(krate.entries().len(), FNS.len());
    }
}

#[test]
fn another_token_policy_file_or_context_is_a_miss() {
    let krate = Crate::new("keys", Some(POLICY));
    let (ctx, cache) = (krate.ctx(), krate.cache());
    let ran = Cell::new(0);
    let (attr, item) = FNS[0];
    through(&cache, &ctx, attr, item, &ran, false);
    through(&cache, &ctx, attr, item, &ran, false);
    assert_eq!(ran.get(), 1);

    // One token more or less, a spacing, a delimiter.
    for other in [
        item.replacen("Ok(StatusCode::NO_CONTENT)", "Ok(StatusCode::OK)", 1),
        item.replacen("->", "- >", 1),
        item.replacen("vec![", "vec!(", 1).replacen(")])", ")))", 1),
    ] {
        let before = ran.get();
        through(&cache, &ctx, attr, &other, &ran, false);
        assert_eq!(ran.get(), before + 1, "{other}");
    }
    let ran_before = ran.get();
    through(
        &cache,
        &ctx,
        r#"owner = "items.owner_id", "#,
        item,
        &ran,
        false,
    );
    assert_eq!(ran.get(), ran_before + 1, "another attribute");

    // The policy file changed, then gone, then back: each a miss, then a hit.
    let policy = krate.0.join("guarded.toml");
    for contents in [
        Some(POLICY.replace("\"title\"", "\"title\", \"version\"")),
        None,
        Some(POLICY.into()),
    ] {
        match &contents {
            Some(text) => std::fs::write(&policy, text).expect("policy"),
            None => std::fs::remove_file(&policy).expect("policy"),
        }
        let before = ran.get();
        let out = through(&cache, &ctx, attr, item, &ran, false);
        through(&cache, &ctx, attr, item, &ran, false);
        assert_eq!(ran.get(), before + 1, "{contents:?}");
        assert_eq!(
            out.to_string().contains("shares"),
            contents.is_some(),
            "the grant follows the file"
        );
    }

    // Another crate or source file.
    let before = ran.get();
    let elsewhere = Context::crate_dir(krate.0.join("src")).in_file(krate.0.join("src/lib.rs"));
    through(&cache, &elsewhere, attr, item, &ran, false);
    let file = Context::crate_dir(&krate.0).in_file(krate.0.join("src/main.rs"));
    through(&cache, &file, attr, item, &ran, false);
    assert_eq!(ran.get(), before + 2);
}

#[test]
fn a_refusal_is_not_kept_and_a_damaged_tape_is_a_miss() {
    let krate = Crate::new("damaged", None);
    let (ctx, cache) = (krate.ctx(), krate.cache());
    let ran = Cell::new(0);
    let refused = r#"async fn f(mut guard: Guard<Sqlite>) -> Result<(), E> {
        sqlx::query("INSERT INTO items (title, owner_id) VALUES ('a', 7)").execute(&mut guard).await?;
        Ok(())
    }"#;
    let attr = r#"owner = "items.owner_id""#;
    for _ in 0..2 {
        let out = through(&cache, &ctx, attr, refused, &ran, false);
        assert!(out.to_string().contains("compile_error"), "{out}");
    }
    assert_eq!(ran.get(), 2, "a refusal runs every time");
    assert!(krate.entries().is_empty(), "and is not kept");

    let (attr, item) = FNS[0];
    let expected = through(&cache, &ctx, attr, item, &ran, false).to_string();
    let [entry] = &krate.entries()[..] else {
        panic!("one entry")
    };
    let whole = std::fs::read_to_string(entry).expect("entry");
    // Cut short, an index past the fn's tokens or past a `usize`, an unknown mark, a group left
    // open.
    let damaged = [
        whole[..whole.len() - 3].to_owned(),
        whole[..whole.len() / 2].to_owned(),
        whole.replacen('V', "V99999", 1),
        whole.replacen('V', "V99999999999999999999", 1),
        whole.replacen("g{", "g<", 1),
        whole[..whole.rfind('e').expect("a group's end")].to_owned(),
    ];
    for text in damaged {
        std::fs::write(entry, &text).expect("damage");
        let before = ran.get();
        let out = through(&cache, &ctx, attr, item, &ran, false);
        assert_eq!(ran.get(), before + 1, "a damaged tape is a miss");
        assert_eq!(out.to_string(), expected);
    }
}

#[test]
fn checking_tells_a_replay_that_differs_from_the_expansion() {
    let krate = Crate::new("checking", None);
    let (ctx, cache) = (krate.ctx(), krate.cache());
    let ran = Cell::new(0);
    let (attr, item) = FNS[0];
    through(&cache, &ctx, attr, item, &ran, false);
    let [entry] = &krate.entries()[..] else {
        panic!("one entry")
    };
    let whole = std::fs::read_to_string(entry).expect("entry");
    // A tape that still reads, but writes another name than the expansion does.
    let tampered = whole.replacen("i14:__guarded_ends", "i14:__guarded_endz", 1);
    assert_ne!(tampered, whole);
    std::fs::write(entry, tampered).expect("tamper");
    let replayed = through(&cache, &ctx, attr, item, &ran, false).to_string();
    assert!(replayed.contains("__guarded_endz"), "{replayed}");
    let checked = through(&cache, &ctx, attr, item, &ran, true).to_string();
    assert!(
        checked.contains("differs from this fn's expansion"),
        "{checked}"
    );
    assert!(!checked.contains("__guarded_endz"), "{checked}");
}

#[test]
fn a_policy_key_names_a_file_the_entry_depends_on() {
    let krate = Crate::new("named", None);
    let (ctx, cache) = (krate.ctx(), krate.cache());
    let named = krate.0.join("src/items.toml");
    let wider = POLICY.replace("\"title\"", "\"title\", \"version\"");
    std::fs::write(&named, wider).expect("named");
    let attr = r#"policy = "items.toml""#;
    let (_, item) = FNS[0];
    let ran = Cell::new(0);
    through(&cache, &ctx, attr, item, &ran, false);
    through(&cache, &ctx, attr, item, &ran, false);
    assert_eq!(ran.get(), 1);
    std::fs::write(&named, POLICY).expect("named");
    through(&cache, &ctx, attr, item, &ran, false);
    assert_eq!(ran.get(), 2, "the named file changed");
}
