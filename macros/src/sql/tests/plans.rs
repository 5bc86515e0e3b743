//! The byte-for-byte owner comparison keeps the owner column's index: on each backend, the
//! plan of a rewritten statement names an index on `owner_id`. A policy condition's
//! comparison of a column with a claim, byte for byte too, keeps that column's index.
//!
//! SQLite runs in memory always; PostgreSQL and MariaDB when `GUARDED_TEST_PG` /
//! `GUARDED_TEST_MYSQL` hold URLs. PostgreSQL plans with sequential scans disabled, so the
//! test asks whether the index *can* serve the predicate, whatever the table's size.

use std::fmt::Write as _;

use super::differential::{Db, open};
use super::{Dialect, policy};
use crate::sql::{Bind, Claim, Rule, analyse};

/// Statements whose only placeholder is the subject's.
const STATEMENTS: &[&str] = &[
    "SELECT id FROM items WHERE title <> 'x'",
    "UPDATE items SET title = 'y' WHERE title <> 'x'",
    "DELETE FROM items WHERE title <> 'x'",
];

async fn plans_use_the_owner_index(dialect: Dialect) {
    let Some((mut db, _database)) = open(dialect).await else {
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
    let (explain, analyze, unindexable) = match dialect {
        Dialect::Sqlite => (
            "EXPLAIN QUERY PLAN",
            "ANALYZE",
            "SELECT id FROM items WHERE owner_id || '' = ?",
        ),
        Dialect::Postgres => (
            "EXPLAIN",
            "ANALYZE items",
            "SELECT id FROM items WHERE owner_id || '' = $1",
        ),
        Dialect::MySql => (
            "EXPLAIN FORMAT=JSON",
            "ANALYZE TABLE items",
            "SELECT id FROM items WHERE CONCAT(owner_id, '') = ?",
        ),
    };
    let uses_index = |plan: &str| uses(dialect, plan, "items_owner", "owner_id");
    db.execute(analyze.into()).await;
    if dialect == Dialect::Postgres {
        db.execute("SET enable_seqscan = off".into()).await;
    }
    // The check can fail: a comparison no index serves shows no use of it.
    let plan = db
        .text_rows(&format!("{explain} {unindexable}"), "alice", 1)
        .await;
    assert!(!uses_index(&plan), "{dialect:?}: {plan}");
    for statement in STATEMENTS {
        let analysis = analyse(statement, dialect, &policy()).expect("guarded");
        assert!(
            analysis.binds.iter().all(|b| *b == Bind::Subject),
            "{}",
            analysis.sql
        );
        let plan = db
            .text_rows(
                &format!("{explain} {}", analysis.sql),
                "alice",
                analysis.binds.len(),
            )
            .await;
        assert!(
            uses_index(&plan),
            "{dialect:?}: the plan of {} does not use the owner index:\n{plan}",
            analysis.sql
        );
    }
    claim_plans(&mut db, dialect, explain, analyze).await;
}

/// Whether `plan` looks rows up by `index` on `column`: not a scan of the whole index (which
/// a covering index allows for any condition) but a search on the column. MySQL's tabular
/// EXPLAIN lists the index among `possible_keys` even when it goes unused; its JSON names the
/// index it uses and how.
fn uses(dialect: Dialect, plan: &str, index: &str, column: &str) -> bool {
    let needles = match dialect {
        Dialect::Sqlite => ["SEARCH".into(), format!("INDEX {index} ({column}=?)")],
        Dialect::Postgres => [index.into(), format!("Index Cond: ({column} =")],
        Dialect::MySql => [
            format!("\"key\": \"{index}\""),
            format!("\"used_key_parts\": [\"{column}\"]"),
        ],
    };
    // A MySQL lookup is `ref` (SELECT) or `range` (UPDATE, DELETE); `index` would be a scan.
    let lookup = dialect != Dialect::MySql
        || ["\"access_type\": \"ref\"", "\"access_type\": \"range\""]
            .iter()
            .any(|access| plan.contains(access));
    lookup && needles.iter().all(|needle| plan.contains(needle.as_str()))
}

/// A condition's sub-select looks its row up by the column it compares with a claim, byte
/// for byte as that comparison is.
async fn claim_plans(db: &mut Db, dialect: Dialect, explain: &str, analyze: &str) {
    let text = match dialect {
        Dialect::MySql => "VARCHAR(100)",
        _ => "TEXT",
    };
    db.execute(format!(
        "CREATE TABLE shares (item_id BIGINT NOT NULL, user_id {text} NOT NULL)"
    ))
    .await;
    db.execute("CREATE INDEX shares_user ON shares (user_id)".into())
        .await;
    let mut rows = String::new();
    for n in 1000..2000 {
        let sep = if rows.is_empty() { "" } else { ", " };
        let _ = write!(rows, "{sep}({n}, 'user{n}')");
    }
    db.execute(format!("INSERT INTO shares VALUES {rows}"))
        .await;
    db.execute(analyze.replace("items", "shares")).await;
    let revoked = Rule::parse(
        "NOT EXISTS (SELECT 1 FROM shares s WHERE s.user_id = :sub)",
        None,
    )
    .expect("a condition");
    let check = revoked.validity_check(dialect);
    assert!(check.binds.iter().all(|b| *b == Claim::Sub));
    let plan = db
        .text_rows(
            &format!("{explain} {}", check.sql),
            "alice",
            check.binds.len(),
        )
        .await;
    assert!(
        uses(dialect, &plan, "shares_user", "user_id"),
        "{dialect:?}: the plan of {} does not use the shares index:\n{plan}",
        check.sql
    );
}

/// An owner column under a folding collation (`NOCASE`), whose index serves only comparisons
/// under that collation: the byte-for-byte comparison alone would scan the table; AND-ed with
/// the plain one, the index finds the rows and the byte-for-byte one filters them.
#[tokio::test]
async fn sqlite_plans_use_a_folding_owner_index() {
    use sqlx::{AssertSqlSafe, Connection, Executor, Row};
    let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .expect("SQLite");
    for sql in [
        "CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT, owner_id TEXT COLLATE NOCASE)",
        "CREATE INDEX items_owner ON items (owner_id)",
    ] {
        conn.execute(sql).await.expect(sql);
    }
    for statement in STATEMENTS {
        let analysis = analyse(statement, Dialect::Sqlite, &policy()).expect("guarded");
        let explain = AssertSqlSafe(format!("EXPLAIN QUERY PLAN {}", analysis.sql));
        let plan: Vec<String> = analysis
            .binds
            .iter()
            .fold(sqlx::query(explain), |query, _| query.bind("alice"))
            .fetch_all(&mut conn)
            .await
            .expect("a plan")
            .iter()
            .map(|row| row.get::<String, _>(3))
            .collect();
        let plan = plan.join("\n");
        assert!(
            uses(Dialect::Sqlite, &plan, "items_owner", "owner_id"),
            "the plan of {} does not use the folding owner index:\n{plan}",
            analysis.sql
        );
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
