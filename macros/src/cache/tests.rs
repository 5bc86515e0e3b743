//! The cache returns what the analysis returns, for the same inputs only.

use std::cell::Cell;
use std::ffi::OsString;

use super::{Cache, read};
use crate::backend::{Backends, Dialect};
use crate::policy::{Condition, Grants, Owner};
use crate::sql::tests::policies::{SHARE, rule};
use crate::sql::{Analyses, Policy, analyse_for};

const VALID: &str = "NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = :jti) AND \
                     NOT EXISTS (SELECT 1 FROM users v WHERE v.id = :sub AND v.cutoff > :iat \
                     AND v.team = :team)";

/// Every part of an analysis set: grants, a named condition, a version, claims.
fn items() -> Owner {
    Owner {
        grants: Grants {
            read: Some(rule(SHARE, Some("items"))),
            update: Some(rule(SHARE, Some("items"))),
            ..Grants::default()
        },
        conditions: vec![Condition {
            code: "archived".into(),
            update: Some(rule("NOT items.archived", Some("items"))),
            delete: None,
        }],
        version: Some("version".into()),
        ..Owner::new("items", "owner_id")
    }
}

/// A directory under the temp dir, removed on drop.
struct Dir(std::path::PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("guarded_cache_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const STATEMENTS: &[(&str, Backends)] = &[
    (
        "UPDATE items SET title = ?, version = version + 1 WHERE id = ? AND version = ?",
        Backends::One(Dialect::Sqlite),
    ),
    (
        "DELETE FROM items WHERE id = $1 RETURNING id, 'it''s: 12;'",
        Backends::One(Dialect::Postgres),
    ),
    (
        "INSERT INTO items (title) SELECT ?",
        Backends::One(Dialect::MySql),
    ),
    ("SELECT title FROM items WHERE id = ?", Backends::Every),
    (
        "UPDATE items SET title = ? WHERE id = ? -- \u{e9}\n",
        Backends::One(Dialect::Sqlite),
    ),
];

#[test]
fn an_entry_reads_back_as_the_analysis_that_wrote_it() {
    let dir = Dir::new("round_trip");
    let cache = Cache::at(&dir.0);
    let owners = [items()];
    let valid = rule(VALID, None);
    let policy = Policy {
        owners: &owners,
        unguarded: &[],
        valid: Some(&valid),
    };
    for (sql, backends) in STATEMENTS {
        let fresh = analyse_for(sql, *backends, &policy).expect(sql);
        let analysed = Cell::new(0);
        let run = || {
            analysed.set(analysed.get() + 1);
            analyse_for(sql, *backends, &policy)
        };
        let first = cache.analyses(sql, *backends, &policy, run).expect(sql);
        let second = cache.analyses(sql, *backends, &policy, run).expect(sql);
        assert_eq!(analysed.get(), 1, "{sql}: the second call is a hit");
        assert_eq!(first.each(), fresh.each(), "{sql}");
        assert_eq!(second.each(), fresh.each(), "{sql}");
    }
    // The round trip covered every optional part.
    let all: Vec<Analyses> = STATEMENTS
        .iter()
        .map(|(sql, b)| analyse_for(sql, *b, &policy).expect(sql))
        .collect();
    let facts = all.iter().flat_map(Analyses::each).map(|(_, a)| a);
    let (mut existence, mut conflicts, mut claims) = (false, false, false);
    for a in facts {
        existence |= a.existence_check.is_some();
        conflicts |= a.conflicts.iter().any(|c| c.code.is_some())
            && a.conflicts.iter().any(|c| c.code.is_none());
        claims |= a
            .binds
            .iter()
            .any(|b| matches!(b, crate::sql::Bind::Claim(_)));
    }
    assert!(existence && conflicts && claims);
}

#[test]
fn another_statement_backend_or_policy_is_a_miss() {
    let dir = Dir::new("keys");
    let cache = Cache::at(&dir.0);
    let plain = [Owner::new("items", "owner_id")];
    let shared = [items()];
    let policies = [
        Policy {
            owners: &plain,
            unguarded: &[],
            valid: None,
        },
        Policy {
            owners: &shared,
            unguarded: &[],
            valid: None,
        },
        Policy {
            owners: &plain,
            unguarded: &["audit".to_owned()],
            valid: None,
        },
    ];
    let sqls = [
        "UPDATE items SET title = ? WHERE id = ?",
        "UPDATE items SET title = ? WHERE id = ? ",
    ];
    let backends = [
        Backends::One(Dialect::Sqlite),
        Backends::One(Dialect::MySql),
        Backends::Every,
    ];
    let analysed = Cell::new(0);
    for round in 0..2 {
        for policy in &policies {
            for sql in sqls {
                for b in backends {
                    let got = cache
                        .analyses(sql, b, policy, || {
                            analysed.set(analysed.get() + 1);
                            analyse_for(sql, b, policy)
                        })
                        .expect(sql);
                    let fresh = analyse_for(sql, b, policy).expect(sql);
                    assert_eq!(got.each(), fresh.each(), "round {round}: {sql} {b:?}");
                }
            }
        }
    }
    assert_eq!(analysed.get(), policies.len() * sqls.len() * backends.len());
}

#[test]
fn a_refusal_is_not_kept_and_a_damaged_entry_is_a_miss() {
    let dir = Dir::new("damaged");
    let cache = Cache::at(&dir.0);
    let owners = [Owner::new("items", "owner_id")];
    let policy = Policy {
        owners: &owners,
        unguarded: &[],
        valid: None,
    };
    let b = Backends::One(Dialect::Sqlite);
    let refused = "INSERT INTO items (title, owner_id) VALUES (?, ?)";
    assert!(
        cache
            .analyses(refused, b, &policy, || analyse_for(refused, b, &policy))
            .is_err()
    );
    assert!(!dir.0.exists(), "nothing written for a refusal");

    let sql = "DELETE FROM items WHERE id = ?";
    cache
        .analyses(sql, b, &policy, || analyse_for(sql, b, &policy))
        .expect(sql);
    let [entry] = &std::fs::read_dir(&dir.0)
        .expect("written")
        .map(|e| e.expect("entry").path())
        .collect::<Vec<_>>()[..]
    else {
        panic!("one entry")
    };
    let whole = std::fs::read(entry).expect("entry");
    let key = super::key(sql, b, &policy);
    assert!(read(entry, &key).is_some());
    assert!(
        read(
            entry,
            &super::key(sql, Backends::One(Dialect::MySql), &policy)
        )
        .is_none()
    );
    for cut in [1, whole.len() / 2, whole.len() - 1] {
        std::fs::write(entry, &whole[..cut]).expect("cut");
        assert!(read(entry, &key).is_none(), "cut at {cut}");
    }
    let mut extra = whole.clone();
    extra.push(b'1');
    std::fs::write(entry, extra).expect("extra");
    assert!(read(entry, &key).is_none());
    // A miss analyses again and writes the entry whole.
    let analysed = Cell::new(false);
    cache
        .analyses(sql, b, &policy, || {
            analysed.set(true);
            analyse_for(sql, b, &policy)
        })
        .expect(sql);
    assert!(analysed.get());
    assert_eq!(std::fs::read(entry).expect("entry"), whole);
}

#[test]
fn the_directory_is_beside_cargos_deps_and_absent_without_an_out_dir() {
    let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
    let dir = |a: &[&str]| Cache::beside_out_dir(args(a)).map(|c| c.dir);
    assert_eq!(
        dir(&[
            "rustc",
            "--crate-name",
            "x",
            "--out-dir",
            "/t/debug/deps",
            "-C",
            "x"
        ]),
        Some("/t/debug/guarded-analyses".into())
    );
    assert_eq!(
        dir(&["rustc", "--out-dir=/t/debug/examples"]),
        Some("/t/debug/examples/guarded-analyses".into())
    );
    assert_eq!(dir(&["rust-analyzer-proc-macro-srv"]), None);
    assert_eq!(dir(&["rustc", "--out-dir"]), None);
}
