//! A revoked token changes no row, whatever the statement's shape.
//!
//! Under `[token] valid = "NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = :jti)"`, every
//! write a guarded fn may run (INSERT of VALUES or a SELECT, aggregating or grouped, upserts,
//! CTEs, UPDATE ... FROM / JOIN, DELETE ... USING / JOIN, on the guarded `items`, the
//! unguarded `audit` and the denylist `revoked` itself) is generated for each backend in every
//! combination of shape, table, alias and key (new or existing row). Each statement the guard
//! accepts runs twice in a transaction that is rolled back: with the revoked token's `jti` the
//! three tables must be unchanged; with a valid token it may write, and enough shapes must
//! write for the test to mean something. SQLite runs in memory; PostgreSQL and MariaDB when
//! `GUARDED_TEST_PG` / `GUARDED_TEST_MYSQL` hold URLs.

use sqlx::{AssertSqlSafe, Connection};

use super::differential::{Db, open};
use crate::sql::{Bind, Claim, Dialect, Policy, Rule, analyse};

const REVOKED: &str = "jti-revoked";
const LIVE: &str = "jti-live";
/// The owner of rows 1, 3 and 7 of the seeded `items` (see `differential::open`).
const SUBJECT: &str = "alice";

#[derive(Debug, Clone)]
enum Value {
    Int(i64),
    Text(String),
}

/// One generated statement, written with `?` placeholders, and its user values.
struct Shape {
    sql: String,
    values: Vec<Value>,
}

/// Every combination of the statement forms below for `dialect`, with `?` placeholders.
fn shapes(dialect: Dialect) -> Vec<Shape> {
    let mut out = Vec::new();
    // (table, a text column, an integer column other than the key)
    let tables: [(&str, &str, Option<&str>); 3] = [
        ("items", "title", None),
        ("audit", "note", Some("item_id")),
        ("revoked", "jti", None),
    ];
    for (table, text, int) in tables {
        let key = if table == "revoked" { "jti" } else { "id" };
        for existing in [false, true] {
            // A row the statement meets (its key exists) or a new one.
            let id: Value = match (table, existing) {
                ("revoked", true) => Value::Text(REVOKED.into()),
                ("revoked", false) => Value::Text("jti-new".into()),
                (_, true) => Value::Int(1),
                (_, false) => Value::Int(100),
            };
            for shape in inserts(dialect, table, key, text, int) {
                out.push(Shape {
                    values: with_key(&shape, &id),
                    sql: shape,
                });
            }
            // MariaDB takes no alias on a single-table DELETE.
            let aliases: &[Option<&str>] = if dialect == Dialect::MySql {
                &[None]
            } else {
                &[None, Some("t")]
            };
            for &alias in aliases {
                for shape in writes(dialect, table, key, text, alias) {
                    out.push(Shape {
                        values: with_key(&shape, &id),
                        sql: shape,
                    });
                }
            }
        }
    }
    out
}

/// The values of a shape: `?K` stands for the key, every other `?` for a text.
fn with_key(sql: &str, key: &Value) -> Vec<Value> {
    let mut values = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find('?') {
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('K') {
            values.push(key.clone());
            rest = after;
        } else {
            values.push(Value::Text("written".into()));
        }
    }
    values
}

/// INSERTs: `?K` is the key's value.
fn inserts(dialect: Dialect, table: &str, key: &str, text: &str, int: Option<&str>) -> Vec<String> {
    let (cols, extra_values, extra_select) = match (table, int) {
        ("revoked", _) => (key.to_owned(), String::new(), String::new()),
        (_, Some(int)) => (
            format!("{key}, {text}, {int}"),
            ", ?, 1".to_owned(),
            ", ?, 1".to_owned(),
        ),
        _ => (format!("{key}, {text}"), ", ?".to_owned(), ", ?".to_owned()),
    };
    let mut out = vec![
        format!("INSERT INTO {table} ({cols}) VALUES (?K{extra_values})"),
        format!("INSERT INTO {table} ({cols}) SELECT ?K{extra_select}"),
        format!("INSERT INTO {table} ({cols}) SELECT MAX(?K){extra_select}"),
        format!(
            "INSERT INTO {table} ({cols}) SELECT ?K{extra_select} FROM audit a WHERE a.id > 1000"
        ),
        format!(
            "INSERT INTO {table} ({cols}) SELECT MAX(?K){extra_select} FROM audit a WHERE a.id > 1000"
        ),
        format!(
            "INSERT INTO {table} ({cols}) SELECT ?K{extra_select} FROM audit a GROUP BY a.id HAVING COUNT(*) > 0 LIMIT 1"
        ),
        format!(
            "INSERT INTO {table} ({cols}) SELECT COALESCE(MAX(?K), ?K){extra_select} HAVING COUNT(*) >= 0"
        ),
        format!(
            "INSERT INTO {table} ({cols}) SELECT ?K{extra_select} WHERE (SELECT COUNT(*) FROM audit) >= 0"
        ),
        format!("INSERT INTO {table} ({cols}) SELECT (SELECT MAX(?K)){extra_select}"),
    ];
    let update = if table == "revoked" { key } else { text };
    match dialect {
        Dialect::MySql => out.extend([
            format!("INSERT INTO {table} ({cols}) SELECT ?K{extra_select} WHERE true ON DUPLICATE KEY UPDATE {update} = 'upserted'"),
            format!("INSERT INTO {table} ({cols}) VALUES (?K{extra_values}) ON DUPLICATE KEY UPDATE {update} = 'upserted'"),
            format!("INSERT INTO {table} ({cols}) WITH s AS (SELECT ?K AS k) SELECT s.k{extra_select} FROM s"),
        ]),
        Dialect::Postgres | Dialect::Sqlite => out.extend([
            format!("INSERT INTO {table} ({cols}) SELECT ?K{extra_select} WHERE true ON CONFLICT ({key}) DO UPDATE SET {update} = 'upserted'"),
            format!("INSERT INTO {table} ({cols}) SELECT MAX(?K){extra_select} WHERE true ON CONFLICT ({key}) DO UPDATE SET {update} = 'upserted'"),
            format!("INSERT INTO {table} ({cols}) VALUES (?K{extra_values}) ON CONFLICT ({key}) DO UPDATE SET {update} = 'upserted'"),
            format!("INSERT INTO {table} ({cols}) SELECT ?K{extra_select} WHERE true ON CONFLICT ({key}) DO NOTHING"),
            format!("INSERT INTO {table} ({cols}) SELECT ?K{extra_select} ON CONFLICT ({key}) DO UPDATE SET {update} = 'upserted'"),
            format!("INSERT INTO {table} ({cols}) SELECT MAX(?K){extra_select} ON CONFLICT ({key}) DO UPDATE SET {update} = 'upserted'"),
            format!("WITH s AS (SELECT ?K AS k) INSERT INTO {table} ({cols}) SELECT s.k{extra_select} FROM s"),
        ]),
    }
    if dialect == Dialect::Postgres {
        out.extend([
            format!("INSERT INTO {table} ({cols}) SELECT ?K{extra_select} GROUP BY ()"),
            format!("INSERT INTO {table} ({cols}) SELECT ?K{extra_select} FROM audit a GROUP BY ROLLUP (a.id) LIMIT 1"),
            format!("WITH n AS (INSERT INTO {table} ({cols}) SELECT MAX(?K){extra_select} RETURNING 1) SELECT COUNT(*) FROM n"),
        ]);
    }
    out
}

/// UPDATEs and DELETEs of the row with key `?K`, the table named `alias` or by its name.
fn writes(
    dialect: Dialect,
    table: &str,
    key: &str,
    text: &str,
    alias: Option<&str>,
) -> Vec<String> {
    let q = alias.unwrap_or(table);
    let named = alias.map_or_else(|| table.to_owned(), |a| format!("{table} AS {a}"));
    let set = if table == "revoked" { key } else { text };
    let mut out = vec![
        format!("UPDATE {named} SET {set} = 'updated' WHERE {q}.{key} = ?K"),
        format!("DELETE FROM {named} WHERE {q}.{key} = ?K"),
        format!("UPDATE {named} SET {set} = 'updated' WHERE {q}.{key} = ?K OR 1 = 1"),
        format!("DELETE FROM {named} WHERE {q}.{key} IN (SELECT ?K)"),
    ];
    match dialect {
        Dialect::MySql => out.extend([
            format!("UPDATE {named} JOIN audit a ON a.id > 0 SET {q}.{set} = 'joined' WHERE {q}.{key} = ?K"),
            format!("DELETE {q} FROM {named} JOIN audit a ON a.id > 0 WHERE {q}.{key} = ?K"),
        ]),
        Dialect::Postgres | Dialect::Sqlite => out.extend([
            format!("UPDATE {named} SET {set} = 'from' FROM audit a WHERE {q}.{key} = ?K AND a.id > 0"),
            format!("WITH d AS (SELECT ?K AS k) UPDATE {named} SET {set} = 'with' WHERE {q}.{key} IN (SELECT k FROM d)"),
        ]),
    }
    if dialect == Dialect::Postgres {
        out.extend([
            format!("DELETE FROM {named} USING audit a WHERE {q}.{key} = ?K AND a.id > 0"),
            format!("WITH d AS (DELETE FROM {named} WHERE {q}.{key} = ?K RETURNING 1) SELECT COUNT(*) FROM d"),
            format!("WITH u AS (UPDATE {named} SET {set} = 'cte' WHERE {q}.{key} = ?K RETURNING 1) SELECT COUNT(*) FROM u"),
        ]);
    }
    out
}

/// `?` to `$1, $2, ...` for PostgreSQL; `?K` to `?`.
fn placeholders(sql: &str, dialect: Dialect) -> String {
    let sql = sql.replace("?K", "?");
    if dialect != Dialect::Postgres {
        return sql;
    }
    let mut out = String::new();
    for (n, part) in sql.split('?').enumerate() {
        if n > 0 {
            out.push('$');
            out.push_str(&n.to_string());
        }
        out.push_str(part);
    }
    out
}

/// The same code on each connection type.
macro_rules! on_each {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            Db::Sqlite($conn) => $body,
            Db::Postgres($conn) => $body,
            Db::MySql($conn) => $body,
        }
    };
}

/// What the three tables hold, in one text.
type State = Vec<String>;

/// Every row of the three tables, as text.
macro_rules! state {
    ($tx:expr) => {{
        let mut all: Vec<String> = Vec::new();
        let items: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, title, owner_id FROM items ORDER BY id")
                .fetch_all(&mut *$tx)
                .await
                .expect("items");
        all.extend(items.iter().map(|r| format!("items {r:?}")));
        let audit: Vec<(i64, i64, String)> =
            sqlx::query_as("SELECT id, item_id, note FROM audit ORDER BY id")
                .fetch_all(&mut *$tx)
                .await
                .expect("audit");
        all.extend(audit.iter().map(|r| format!("audit {r:?}")));
        let revoked: Vec<(String,)> = sqlx::query_as("SELECT jti FROM revoked ORDER BY jti")
            .fetch_all(&mut *$tx)
            .await
            .expect("revoked");
        all.extend(revoked.iter().map(|r| format!("revoked {r:?}")));
        all
    }};
}
/// Runs `sql` with `values` in a transaction rolled back afterwards, and returns the tables
/// before and after it (`None` when the database refused the statement).
async fn run(db: &mut Db, sql: &str, values: &[Value]) -> (State, Option<State>) {
    let sql = AssertSqlSafe(sql.to_owned());
    on_each!(db, conn => {
        let mut tx = conn.begin().await.expect("begin");
        let before = state!(tx);
        let mut query = sqlx::query(sql);
        for value in values {
            query = match value {
                Value::Int(i) => query.bind(*i),
                Value::Text(t) => query.bind(t.clone()),
            };
        }
        // A read of rows (a CTE's count) runs the statement too.
        let done = query.fetch_all(&mut *tx).await;
        let after = match done {
            Ok(_) => Some(state!(tx)),
            Err(e) => {
                if std::env::var_os("GUARDED_REVOCATION_DEBUG").is_some() {
                    eprintln!("refused by the database: {e}");
                }
                None
            }
        };
        tx.rollback().await.expect("rollback");
        (before, after)
    })
}

async fn revocation(dialect: Dialect, label: &str) {
    let Some((mut db, _database)) = open(dialect).await else {
        return;
    };
    let text = if dialect == Dialect::MySql {
        "VARCHAR(100)"
    } else {
        "TEXT"
    };
    db.execute(format!("CREATE TABLE revoked (jti {text} PRIMARY KEY)"))
        .await;
    db.execute(format!("INSERT INTO revoked VALUES ('{REVOKED}')"))
        .await;
    let valid = Rule::parse(
        "NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = :jti)",
        None,
    )
    .unwrap_or_else(|e| panic!("{}", e.message));
    let owners = [super::owner("items", "owner_id")];
    let unguarded = ["audit".to_owned(), "revoked".to_owned()];
    let policy = Policy {
        owners: &owners,
        unguarded: &unguarded,
        valid: Some(&valid),
    };
    let (mut refused, mut accepted, mut wrote) = (0, 0, 0);
    let mut violations = Vec::new();
    for shape in shapes(dialect) {
        let sql = placeholders(&shape.sql, dialect);
        let Ok(analysis) = analyse(&sql, dialect, &policy) else {
            refused += 1;
            continue;
        };
        accepted += 1;
        let binds = |jti: &str| -> Vec<Value> {
            analysis
                .binds
                .iter()
                .map(|bind| match bind {
                    Bind::User(i) => shape.values[*i].clone(),
                    Bind::Subject => Value::Text(SUBJECT.into()),
                    Bind::Claim(Claim::Jti) => Value::Text(jti.into()),
                    Bind::Claim(other) => unreachable!("the condition binds {other:?}"),
                })
                .collect()
        };
        let (before, after) = run(&mut db, &analysis.sql, &binds(REVOKED)).await;
        if after.as_ref().is_some_and(|after| *after != before) {
            violations.push(format!("{}\n  runs as {}", shape.sql, analysis.sql));
        }
        let (before, after) = run(&mut db, &analysis.sql, &binds(LIVE)).await;
        if after.is_some_and(|after| after != before) {
            wrote += 1;
        }
    }
    eprintln!(
        "revocation {label}: {accepted} shapes accepted ({wrote} write with a live token), \
         {refused} refused"
    );
    assert!(
        violations.is_empty(),
        "{label}: a revoked token changed rows with:\n{}",
        violations.join("\n")
    );
    // Shapes that write nothing even for a live token would prove nothing.
    assert!(
        wrote * 3 >= accepted && accepted >= 40,
        "{label}: {accepted} accepted, {wrote} wrote with a live token"
    );
}

#[tokio::test]
async fn a_revoked_token_changes_no_row_sqlite() {
    revocation(Dialect::Sqlite, "sqlite").await;
}

#[tokio::test]
async fn a_revoked_token_changes_no_row_postgres() {
    revocation(Dialect::Postgres, "postgres").await;
}

#[tokio::test]
async fn a_revoked_token_changes_no_row_mariadb() {
    revocation(Dialect::MySql, "mariadb").await;
}
