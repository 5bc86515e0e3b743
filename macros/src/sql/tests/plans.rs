//! The byte-for-byte owner comparison keeps the owner column's index: on each backend, the
//! plan of a rewritten statement names an index on `owner_id`.
//!
//! SQLite runs in memory always; PostgreSQL and MariaDB when `GUARDED_TEST_PG` /
//! `GUARDED_TEST_MYSQL` hold URLs. PostgreSQL plans with sequential scans disabled, so the
//! test asks whether the index *can* serve the predicate, whatever the table's size.

use std::fmt::Write as _;

use super::differential::open;
use super::{Dialect, policy};
use crate::sql::{Bind, analyse};

/// Statements whose only placeholder is the subject's.
const STATEMENTS: &[&str] = &[
    "SELECT id FROM items WHERE title <> 'x'",
    "UPDATE items SET title = 'y' WHERE title <> 'x'",
    "DELETE FROM items WHERE title <> 'x'",
];

async fn plans_use_the_owner_index(dialect: Dialect) {
    let Some((mut db, cleanup)) = open(dialect).await else {
        return;
    };
    db.execute("CREATE INDEX items_owner ON items (owner_id)".into())
        .await;
    // Rows of many owners, so a plan that ignores the index is the worse one.
    let mut rows = String::new();
    for n in 1000..2000 {
        let sep = if rows.is_empty() { "" } else { ", " };
        let _ = write!(rows, "{sep}({n}, 'filler', 'user{n}')");
    }
    db.execute(format!("INSERT INTO items VALUES {rows}")).await;
    // What a lookup by the owner index looks like in each plan: not a scan of the whole
    // index (which a covering index allows for any condition) but a search on `owner_id`.
    // MySQL's tabular EXPLAIN lists the index among `possible_keys` even when it goes
    // unused; its JSON names the index it uses and how.
    let (explain, analyze, used, unindexable): (_, _, &[&str], _) = match dialect {
        Dialect::Sqlite => (
            "EXPLAIN QUERY PLAN",
            "ANALYZE",
            &["SEARCH", "INDEX items_owner (owner_id=?)"],
            "SELECT id FROM items WHERE owner_id || '' = ?",
        ),
        Dialect::Postgres => (
            "EXPLAIN",
            "ANALYZE items",
            &["items_owner", "Index Cond: (owner_id ="],
            "SELECT id FROM items WHERE owner_id || '' = $1",
        ),
        Dialect::MySql => (
            "EXPLAIN FORMAT=JSON",
            "ANALYZE TABLE items",
            &[
                "\"key\": \"items_owner\"",
                "\"used_key_parts\": [\"owner_id\"]",
            ],
            "SELECT id FROM items WHERE CONCAT(owner_id, '') = ?",
        ),
    };
    // A MySQL lookup is `ref` (SELECT) or `range` (UPDATE, DELETE); `index` would be a scan.
    let lookup = |plan: &str| {
        dialect != Dialect::MySql
            || ["\"access_type\": \"ref\"", "\"access_type\": \"range\""]
                .iter()
                .any(|access| plan.contains(access))
    };
    let uses_index = |plan: &str| lookup(plan) && used.iter().all(|needle| plan.contains(needle));
    db.execute(analyze.into()).await;
    if dialect == Dialect::Postgres {
        db.execute("SET enable_seqscan = off".into()).await;
    }
    // The check can fail: a comparison no index serves shows no use of it.
    let plan = db
        .text_rows(&format!("{explain} {unindexable}"), "alice")
        .await;
    assert!(!uses_index(&plan), "{dialect:?}: {plan}");
    for statement in STATEMENTS {
        let analysis = analyse(statement, dialect, &policy()).expect("guarded");
        assert_eq!(analysis.binds, [Bind::Subject], "{}", analysis.sql);
        let plan = db
            .text_rows(&format!("{explain} {}", analysis.sql), "alice")
            .await;
        assert!(
            uses_index(&plan),
            "{dialect:?}: the plan of {} does not use the owner index:\n{plan}",
            analysis.sql
        );
    }
    if let Some(cleanup) = cleanup {
        db.execute(cleanup).await;
    }
}

#[tokio::test]
async fn sqlite_plans_use_the_owner_index() {
    plans_use_the_owner_index(Dialect::Sqlite).await;
}

#[tokio::test]
async fn postgres_plans_use_the_owner_index() {
    plans_use_the_owner_index(Dialect::Postgres).await;
}

#[tokio::test]
async fn mariadb_plans_use_the_owner_index() {
    plans_use_the_owner_index(Dialect::MySql).await;
}
