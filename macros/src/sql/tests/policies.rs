//! Policy conditions: grants per operation and the token's validity, put into each reference
//! with their claims bound as values.

use super::{Dialect, MySql, Owner, Policy, Postgres, S, Sqlite, U, analyse, owner};
use crate::sql::{Bind, Claim, Grants, Rule};

pub(crate) const SHARE: &str =
    "EXISTS (SELECT 1 FROM shares s WHERE s.item_id = items.id AND s.user_id = :sub)";
const ADMIN: &str = "EXISTS (SELECT 1 FROM users u WHERE u.id = :sub AND u.role = 'admin')";
const VALID: &str = "NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = :jti) AND NOT EXISTS (SELECT 1 FROM users v WHERE v.id = :sub AND v.cutoff > :iat)";

pub(crate) fn rule(text: &str, table: Option<&str>) -> Rule {
    Rule::parse(text, table).unwrap_or_else(|e| panic!("{text}: {}", e.message))
}

fn items() -> Owner {
    Owner {
        grants: Grants {
            read: Some(rule(SHARE, Some("items"))),
            delete: Some(rule(ADMIN, Some("items"))),
            ..Grants::default()
        },
        ..owner("items", "owner_id")
    }
}

/// The policy of `owners` alone: no unguarded table, no token condition.
fn only(owners: &[Owner]) -> Policy<'_> {
    Policy {
        owners,
        unguarded: &[],
        valid: None,
    }
}

/// `items`, whose rows a share with `can_write` lets its grantee update.
fn shared_for_update() -> Owner {
    Owner {
        grants: Grants {
            update: Some(rule(SHARE, Some("items"))),
            ..Grants::default()
        },
        ..owner("items", "owner_id")
    }
}

fn analysed(sql: &str, dialect: Dialect, valid: Option<&Rule>) -> super::Analysis {
    let owners = [items()];
    let policy = Policy {
        owners: &owners,
        unguarded: &[],
        valid,
    };
    analyse(sql, dialect, &policy).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn a_grant_is_or_ed_with_the_owner_for_its_operation_only() {
    let read = analysed("SELECT title FROM items i WHERE i.id = ?", Sqlite, None);
    assert_eq!(
        read.sql,
        "SELECT title FROM items i WHERE (((i.owner_id = $2 AND i.owner_id = $2 COLLATE BINARY)) OR (EXISTS (SELECT 1 FROM shares s WHERE s.item_id = i.id AND (s.user_id = $2 AND s.user_id = $2 COLLATE BINARY)))) AND (i.id = ?)"
    );
    assert_eq!(read.binds, [U(0), S]);
    // No update grant: the owner alone.
    let update = analysed("UPDATE items SET title = ? WHERE id = ?", Sqlite, None);
    assert_eq!(
        update.sql,
        "UPDATE items SET title = ? WHERE (items.owner_id = $3 AND items.owner_id = $3 COLLATE BINARY) AND (id = ?)"
    );
    let delete = analysed("DELETE FROM items WHERE id = $1", Postgres, None);
    assert_eq!(
        delete.sql,
        "DELETE FROM items WHERE (((items.owner_id = $2 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT))) OR (EXISTS (SELECT 1 FROM users u WHERE (u.id = $2 AND CAST(u.id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT)) AND u.role = 'admin'))) AND (id = $1)"
    );
    assert_eq!(delete.binds, [U(0), S]);
}

#[test]
fn the_tokens_validity_is_and_ed_into_every_reference_with_each_claim_bound_once() {
    let valid = rule(VALID, None);
    let postgres = analysed(
        "UPDATE items SET title = $1 WHERE id = $2",
        Postgres,
        Some(&valid),
    );
    assert_eq!(
        postgres.sql,
        "UPDATE items SET title = $1 WHERE (((items.owner_id = $3 AND CAST(items.owner_id AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT))) AND (NOT EXISTS (SELECT 1 FROM revoked r WHERE (r.jti = $4 AND CAST(r.jti AS TEXT) COLLATE \"C\" = CAST($4 AS TEXT))) AND NOT EXISTS (SELECT 1 FROM users v WHERE (v.id = $3 AND CAST(v.id AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT)) AND v.cutoff > $5))) AND (id = $2)"
    );
    assert_eq!(
        postgres.binds,
        [
            U(0),
            U(1),
            S,
            Bind::Claim(Claim::Jti),
            Bind::Claim(Claim::Iat)
        ]
    );
    // Positional: every placeholder binds in textual order.
    let mysql = analysed("DELETE FROM items WHERE id = ?", MySql, Some(&valid));
    assert_eq!(
        mysql.binds,
        [
            S,
            S,
            Bind::Claim(Claim::Jti),
            S,
            Bind::Claim(Claim::Iat),
            U(0)
        ]
    );
    assert!(mysql.sql.contains("CAST(? AS BINARY)"), "{}", mysql.sql);
    // A join: each reference gets its own copy.
    let join = analysed(
        "SELECT a.id FROM items a JOIN items b ON a.id = b.id",
        Sqlite,
        Some(&valid),
    );
    assert_eq!(join.sql.matches("revoked r").count(), 2, "{}", join.sql);
}

#[test]
fn an_upsert_takes_the_update_grant_and_an_insert_forces_the_owner() {
    let owners = [shared_for_update()];
    let policy = only(&owners);
    let a = analyse(
        "INSERT INTO items (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        Sqlite,
        &policy,
    )
    .expect("guarded");
    assert!(
        a.sql.ends_with(
            "WHERE (((items.owner_id = $3 AND items.owner_id = $3 COLLATE BINARY)) OR (EXISTS (SELECT 1 FROM shares s WHERE s.item_id = items.id AND (s.user_id = $3 AND s.user_id = $3 COLLATE BINARY))))"
        ),
        "{}",
        a.sql
    );
}

#[test]
fn an_alias_a_conditions_sub_select_uses_is_refused() {
    let owners = [items()];
    let policy = only(&owners);
    let e = analyse("SELECT * FROM items s", Sqlite, &policy).expect_err("shadowed");
    assert!(e.contains("give `items` another alias"), "{e}");
    let e = analyse("DELETE FROM items AS U WHERE id = ?", Sqlite, &policy).expect_err("shadowed");
    assert!(e.contains("another alias"), "{e}");
}

#[test]
fn a_cte_named_like_a_table_a_condition_reads_is_refused() {
    let valid = rule(VALID, None);
    for (sql, table) in [
        (
            "WITH shares AS (SELECT 1 AS item_id, 'me' AS user_id) SELECT * FROM items",
            "shares",
        ),
        (
            "WITH Revoked AS (SELECT 'x' AS jti) UPDATE items SET title = ? WHERE id = ?",
            "revoked",
        ),
        (
            "SELECT * FROM items WHERE id IN (WITH users AS (SELECT 1 AS id) SELECT id FROM users)",
            "users",
        ),
    ] {
        let owners = [items()];
        let policy = Policy {
            owners: &owners,
            unguarded: &[],
            valid: Some(&valid),
        };
        let e = analyse(sql, Sqlite, &policy).expect_err(sql);
        assert!(e.contains(&format!("named like `{table}`")), "{sql}: {e}");
    }
}

#[test]
fn a_condition_names_its_row_by_its_table_and_is_one_expression() {
    let mistakes = [
        (
            "owner_id = :sub",
            "name the row's column with its table, `items.owner_id`",
        ),
        (
            "x.owner_id = :sub",
            "`x.owner_id` is not a column of `items`",
        ),
        ("items.a = 1; DROP TABLE items", "one SQL expression"),
        ("items.a = = 1", "does not parse"),
        ("items.a = 1 items.b", "one SQL expression"),
        ("items.a = ':sub", "never closed"),
        ("items.a = :", "a claim is written `:name`"),
        (
            "EXISTS (SELECT 1 FROM items p WHERE p.id = items.parent)",
            "reads `items`",
        ),
    ];
    for (text, says) in mistakes {
        match Rule::parse(text, Some("items")) {
            Ok(rule) => panic!("{text:?} accepted: {rule:?}"),
            Err(e) => assert!(e.message.contains(says), "{text:?}: {}", e.message),
        }
    }
    // A quoted `:` is text, `::` a cast; a claim in a sub-select is still a claim.
    let r = rule(
        "items.tag = 'a:b' AND items.n::text = 'x' AND items.n = :tenant AND EXISTS (SELECT 1 FROM t WHERE t.u = :sub)",
        Some("items"),
    );
    let claims: Vec<_> = r.claims().cloned().collect();
    assert_eq!(claims, [Claim::Field("tenant".into()), Claim::Sub]);
}

#[test]
fn every_backend_reads_the_spliced_policy_as_built() {
    let valid = rule(VALID, None);
    for (sql, dialect) in [
        ("SELECT * FROM items WHERE id = ? OR title = ?", Sqlite),
        ("SELECT * FROM items WHERE id = ? OR title = ?", MySql),
        ("SELECT * FROM items WHERE id = $1 OR title = $2", Postgres),
        ("UPDATE items SET title = ? WHERE id = ?", MySql),
        ("DELETE FROM items WHERE id = ?1", Sqlite),
        (
            "SELECT count(*) FROM items i LEFT JOIN items j ON j.id = i.id",
            Postgres,
        ),
    ] {
        // `analyse` verifies the splice; this pins that the conditions are there.
        let a = analysed(sql, dialect, Some(&valid));
        assert!(a.sql.contains("revoked r"), "{sql}: {}", a.sql);
    }
}

#[test]
fn with_a_validity_condition_an_insert_selects_its_row_under_it() {
    let valid = rule(VALID, None);
    let a = analysed("INSERT INTO items (title) SELECT ?", Sqlite, Some(&valid));
    assert_eq!(
        a.sql,
        "INSERT INTO items (title, owner_id) SELECT ?, $2 WHERE (NOT EXISTS (SELECT 1 FROM revoked r WHERE (r.jti = $3 AND r.jti = $3 COLLATE BINARY)) AND NOT EXISTS (SELECT 1 FROM users v WHERE (v.id = $2 AND v.id = $2 COLLATE BINARY) AND v.cutoff > $4))"
    );
    assert!(a.zero_rows_denies);
    let a = analysed(
        "INSERT INTO items (title) SELECT $1 RETURNING id",
        Postgres,
        Some(&valid),
    );
    assert_eq!(
        a.binds,
        [U(0), S, Bind::Claim(Claim::Jti), Bind::Claim(Claim::Iat)]
    );
    let owners = [items()];
    let policy = Policy {
        owners: &owners,
        unguarded: &[],
        valid: Some(&valid),
    };
    let e = analyse("INSERT INTO items (title) VALUES (?)", MySql, &policy).expect_err("VALUES");
    assert!(e.contains("SELECT ?, ?"), "{e}");
}

#[test]
fn the_validity_check_binds_each_claim_as_its_backend_numbers_them() {
    let valid = rule(VALID, None);
    let pg = valid.validity_check(Postgres);
    assert_eq!(
        pg.sql,
        "SELECT 1 WHERE (NOT EXISTS (SELECT 1 FROM revoked r WHERE (r.jti = $1 AND CAST(r.jti AS TEXT) COLLATE \"C\" = CAST($1 AS TEXT))) AND NOT EXISTS (SELECT 1 FROM users v WHERE (v.id = $2 AND CAST(v.id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT)) AND v.cutoff > $3))"
    );
    assert_eq!(pg.binds, [Claim::Jti, Claim::Sub, Claim::Iat]);
    let mysql = valid.validity_check(MySql);
    assert!(
        mysql
            .sql
            .starts_with("SELECT 1 FROM DUAL WHERE (NOT EXISTS"),
        "{}",
        mysql.sql
    );
    assert_eq!(mysql.binds, [Claim::Jti, Claim::Sub, Claim::Iat]);
    // Each is a statement its backend parses.
    for dialect in [Sqlite, Postgres, MySql] {
        let check = valid.validity_check(dialect);
        crate::sql::parse::parse(&check.sql, dialect).expect("a statement");
    }
}

#[test]
fn an_update_that_moves_a_row_to_another_owner_takes_no_grant() {
    let owners = [shared_for_update()];
    let policy = only(&owners);
    for sql in [
        "UPDATE items SET owner_id = ? WHERE id = ?",
        "UPDATE items i SET title = ?, \"OWNER_ID\" = ? WHERE id = ?",
        "UPDATE items SET (title, owner_id) = (?, ?) WHERE id = ?",
        "INSERT INTO items (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET owner_id = excluded.owner_id",
    ] {
        let a = analyse(sql, Sqlite, &policy).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert!(!a.sql.contains("shares"), "{sql}: {}", a.sql);
    }
    let a = analyse("UPDATE items SET title = ? WHERE id = ?", Sqlite, &policy).expect("guarded");
    assert!(a.sql.contains("shares"), "{}", a.sql);
}

#[test]
fn an_update_of_a_column_the_grant_does_not_list_is_the_owners_alone() {
    let owners = [Owner {
        grants: Grants {
            update: Some(rule(SHARE, Some("items"))),
            update_columns: Some(vec!["title".into(), "version".into()]),
            ..Grants::default()
        },
        ..owner("items", "owner_id")
    }];
    let policy = only(&owners);
    for (sql, granted) in [
        (
            "UPDATE items SET title = ?, version = version + 1 WHERE id = ?",
            true,
        ),
        ("UPDATE items i SET \"TITLE\" = ? WHERE id = ?", true),
        ("UPDATE items SET archived = TRUE WHERE id = ?", false),
        (
            "UPDATE items SET title = ?, archived = TRUE WHERE id = ?",
            false,
        ),
        (
            "UPDATE items SET (title, archived) = (?, ?) WHERE id = ?",
            false,
        ),
        (
            "INSERT INTO items (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET archived = excluded.archived",
            false,
        ),
    ] {
        let a = analyse(sql, Sqlite, &policy).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(a.sql.contains("shares"), granted, "{sql}: {}", a.sql);
        let subject = format!("owner_id = ${}", a.user_params + 1);
        assert!(a.sql.contains(&subject), "{sql}: {}", a.sql);
    }
}

/// The conditions' sub-selects look their rows up by key: the plan of each guarded statement
/// searches `shares`, `users` and `revoked` by index and scans none of them, so their cost
/// stays flat as the tables grow.
#[tokio::test]
async fn sqlite_plans_search_the_conditions_tables_by_index() {
    use sqlx::{Connection, Executor, Row};
    let mut db = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite");
    for ddl in [
        "CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT, owner_id TEXT)",
        "CREATE INDEX items_owner ON items (owner_id)",
        "CREATE TABLE shares (item_id INTEGER, user_id TEXT, can_write BOOLEAN, PRIMARY KEY (item_id, user_id))",
        "CREATE TABLE users (id TEXT PRIMARY KEY, role TEXT, cutoff BIGINT)",
        "CREATE TABLE revoked (jti TEXT PRIMARY KEY)",
    ] {
        db.execute(ddl).await.expect(ddl);
    }
    let valid = rule(VALID, None);
    for (sql, tables) in [
        ("SELECT title FROM items WHERE id = ?", &["s", "r", "v"][..]),
        ("UPDATE items SET title = ? WHERE id = ?", &["r", "v"][..]),
        ("DELETE FROM items WHERE id = ?", &["u", "r", "v"][..]),
    ] {
        let a = analysed(sql, Sqlite, Some(&valid));
        let explain = format!("EXPLAIN QUERY PLAN {}", a.sql);
        let mut query = sqlx::query(sqlx::AssertSqlSafe(explain));
        for _ in &a.binds {
            query = query.bind(None::<String>);
        }
        let plan: Vec<String> = query
            .fetch_all(&mut db)
            .await
            .expect("a plan")
            .iter()
            .map(|row| row.get::<String, _>("detail"))
            .collect();
        let plan = plan.join("\n");
        for table in tables {
            assert!(
                plan.contains(&format!("SEARCH {table} USING")),
                "{sql}: `{table}` is not searched by index:\n{plan}"
            );
            assert!(!plan.contains(&format!("SCAN {table}")), "{sql}:\n{plan}");
        }
    }
}

#[test]
fn a_named_condition_joins_the_writes_it_names_and_its_check_reads_under_the_write_grant() {
    let archived = rule("NOT items.archived", Some("items"));
    let owners = [Owner {
        grants: Grants {
            read: Some(rule(SHARE, Some("items"))),
            ..Grants::default()
        },
        conditions: vec![crate::policy::Condition {
            code: "archived".into(),
            update: Some(archived),
            delete: None,
        }],
        ..owner("items", "owner_id")
    }];
    let policy = only(&owners);
    let a = analyse(
        "UPDATE items AS i SET title = ? WHERE i.id = ?",
        Sqlite,
        &policy,
    )
    .expect("guarded");
    assert_eq!(
        a.sql,
        "UPDATE items AS i SET title = ? WHERE (((i.owner_id = $3 AND i.owner_id = $3 COLLATE BINARY)) AND (NOT i.archived)) AND (i.id = ?)"
    );
    let [check] = &a.conflicts[..] else {
        panic!("{:?}", a.conflicts)
    };
    assert_eq!(check.code.as_deref(), Some("archived"));
    // No update grant: the owner alone may learn the state, not a reader.
    assert_eq!(
        check.sql,
        "SELECT 1 FROM items AS i WHERE (i.owner_id = $2 AND i.owner_id = $2 COLLATE BINARY) AND ((i.id = ?) AND NOT (NOT i.archived))"
    );
    assert_eq!(check.binds, [U(1), S]);
    // Reads and deletes carry no named condition of updates.
    for sql in [
        "SELECT * FROM items WHERE id = ?",
        "DELETE FROM items WHERE id = ?",
    ] {
        let a = analyse(sql, Sqlite, &policy).expect("guarded");
        assert!(
            !a.sql.contains("archived") && a.conflicts.is_empty(),
            "{}",
            a.sql
        );
    }
    // Numbered placeholders keep their numbers in the check.
    let a = analyse(
        "UPDATE items SET title = $1 WHERE id = $2",
        Postgres,
        &policy,
    )
    .expect("guarded");
    assert!(
        a.conflicts[0]
            .sql
            .contains("(id = $2) AND NOT (NOT items.archived)")
    );
    assert_eq!(a.conflicts[0].binds, [U(0), U(1), S]);
}

#[test]
fn a_comparison_of_the_version_column_is_classified_as_a_precondition() {
    let owners = [Owner {
        version: Some("version".into()),
        ..owner("items", "owner_id")
    }];
    let policy = only(&owners);
    let a = analyse(
        "UPDATE items SET title = ?, version = version + 1 WHERE id = ? AND version = ?",
        Sqlite,
        &policy,
    )
    .expect("guarded");
    let [check] = &a.conflicts[..] else {
        panic!("{:?}", a.conflicts)
    };
    assert_eq!(check.code, None);
    assert_eq!(
        check.sql,
        "SELECT 1 FROM items WHERE (items.owner_id = $2 AND items.owner_id = $2 COLLATE BINARY) AND ((id = ? AND 1 = 1))"
    );
    assert_eq!(check.binds, [U(1), S]);
    // In parentheses, the comparison is still a conjunct of the WHERE.
    let a = analyse(
        "UPDATE items SET title = ? WHERE (id = ? AND (version = ?))",
        Sqlite,
        &policy,
    )
    .expect("guarded");
    let [check] = &a.conflicts[..] else {
        panic!("{:?}", a.conflicts)
    };
    assert_eq!(
        check.sql,
        "SELECT 1 FROM items WHERE (items.owner_id = $2 AND items.owner_id = $2 COLLATE BINARY) AND (((id = ? AND (1 = 1))))"
    );
    assert_eq!(check.binds, [U(1), S]);
}

#[test]
fn under_a_validity_condition_a_write_to_an_unguarded_table_carries_it_too() {
    let valid = rule(VALID, None);
    let owners = [items()];
    let unguarded = ["audit".to_owned()];
    let policy = Policy {
        owners: &owners,
        unguarded: &unguarded,
        valid: Some(&valid),
    };
    for sql in [
        "UPDATE audit SET note = ? WHERE id = ?",
        "DELETE FROM audit WHERE id = ?",
        "INSERT INTO audit (note) SELECT ?",
    ] {
        let a = analyse(sql, Sqlite, &policy).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert!(
            a.sql.contains("revoked r") && a.validity,
            "{sql}: {}",
            a.sql
        );
        assert!(!a.zero_rows_denies, "{sql}");
    }
    let e = analyse("INSERT INTO audit (note) VALUES (?)", Sqlite, &policy).expect_err("VALUES");
    assert!(e.contains("SELECT ?, ?"), "{e}");
    // Without the condition, nothing changes.
    let plain = Policy {
        valid: None,
        ..policy
    };
    let a = analyse("INSERT INTO audit (note) VALUES (?)", Sqlite, &plain).expect("plain");
    assert_eq!(a.sql, "INSERT INTO audit (note) VALUES (?)");
}

/// `[token] valid` of `:jti` alone, on an insert into an unguarded table: no subject in the
/// statement, yet the claim is numbered after the subject's place, which is bound too, so
/// PostgreSQL's numbers have no gap (a gap is a statement PostgreSQL cannot type).
#[test]
fn a_claim_without_the_subject_keeps_numbered_placeholders_contiguous() {
    let valid = rule(
        "NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = :jti)",
        None,
    );
    let owners = [items()];
    let unguarded = ["revoked".to_owned()];
    let policy = Policy {
        owners: &owners,
        unguarded: &unguarded,
        valid: Some(&valid),
    };
    let sql = "INSERT INTO revoked (jti) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = $2)";
    let a = analyse(sql, Postgres, &policy).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        a.sql,
        "INSERT INTO revoked (jti) SELECT $1 WHERE (NOT EXISTS (SELECT 1 FROM revoked r WHERE (r.jti = $4 AND CAST(r.jti AS TEXT) COLLATE \"C\" = CAST($4 AS TEXT)))) AND (NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = $2))"
    );
    assert_eq!(a.binds, [U(0), U(1), S, Bind::Claim(Claim::Jti)]);
    let sqlite = analyse(&sql.replace("$1", "?").replace("$2", "?"), Sqlite, &policy)
        .unwrap_or_else(|e| panic!("{e}"));
    // SQLite's guard numbers its placeholders as PostgreSQL does, the jti once.
    assert!(
        sqlite
            .sql
            .contains("(r.jti = $4 AND r.jti = $4 COLLATE BINARY)"),
        "{}",
        sqlite.sql
    );
    assert_eq!(sqlite.binds, [U(0), U(1), S, Bind::Claim(Claim::Jti)]);
}

/// An aggregate makes a row from no row, so the token's condition in the SELECT's WHERE would
/// not stop the insert: such a source is filtered after it runs.
#[test]
fn under_a_validity_condition_an_aggregating_source_is_filtered_after_it_runs() {
    let valid = rule(VALID, None);
    let owners = [items()];
    let unguarded = ["audit".to_owned()];
    let policy = Policy {
        owners: &owners,
        unguarded: &unguarded,
        valid: Some(&valid),
    };
    let a = analyse("INSERT INTO items (title) SELECT MAX(?)", Sqlite, &policy)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        a.sql,
        "INSERT INTO items (title, owner_id) SELECT * FROM (SELECT MAX(?), $2) AS __guarded_rows WHERE (NOT EXISTS (SELECT 1 FROM revoked r WHERE (r.jti = $3 AND r.jti = $3 COLLATE BINARY)) AND NOT EXISTS (SELECT 1 FROM users v WHERE (v.id = $2 AND v.id = $2 COLLATE BINARY) AND v.cutoff > $4))"
    );
    assert!(a.zero_rows_denies && a.validity);
    for (sql, dialect) in [
        (
            "INSERT INTO audit (note) SELECT COUNT(*) FROM items",
            Sqlite,
        ),
        (
            "INSERT INTO audit (item_id, note) SELECT i.id, 'n' FROM items i GROUP BY i.id HAVING COUNT(*) > 0",
            Postgres,
        ),
        ("INSERT INTO audit (note) SELECT ? GROUP BY ()", Postgres),
        (
            "INSERT INTO audit (id, note) SELECT MAX($1), $2 WHERE true ON CONFLICT (id) DO UPDATE SET note = excluded.note",
            Postgres,
        ),
    ] {
        let sql = if dialect == Postgres && !sql.contains('$') {
            sql.replace('?', "$1")
        } else {
            sql.to_owned()
        };
        let a = analyse(&sql, dialect, &policy).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert!(
            a.sql.contains("AS __guarded_rows WHERE (NOT EXISTS"),
            "{sql}: {}",
            a.sql
        );
    }
    // MySQL refuses two columns of one name in a derived table: HAVING filters instead.
    let a = analyse(
        "INSERT INTO items (title) SELECT MAX(?) LIMIT 1",
        MySql,
        &policy,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        a.sql,
        "INSERT INTO items (title, owner_id) SELECT MAX(?), ? HAVING (NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = CAST(? AS BINARY)) AND NOT EXISTS (SELECT 1 FROM users v WHERE v.id = CAST(? AS BINARY) AND v.cutoff > ?)) LIMIT 1"
    );
    let a = analyse(
        "INSERT INTO audit (note) SELECT a.note FROM audit a GROUP BY a.note HAVING COUNT(*) > 1",
        MySql,
        &policy,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(a.sql.ends_with("HAVING (NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = CAST(? AS BINARY)) AND NOT EXISTS (SELECT 1 FROM users v WHERE v.id = CAST(? AS BINARY) AND v.cutoff > ?)) AND (COUNT(*) > 1)"), "{}", a.sql);
    let owners_only = Policy {
        valid: None,
        ..policy.clone()
    };
    // `ON` right after a SELECT list is the INSERT's, as every server reads it.
    analyse(
        "INSERT INTO audit (id, note) SELECT $1, $2 ON CONFLICT (id) DO NOTHING",
        Postgres,
        &owners_only,
    )
    .expect("ON CONFLICT after a SELECT list");
    let a = analyse(
        "INSERT INTO audit (id, note) SELECT $1, $2 ON CONFLICT (id) DO UPDATE SET note = $2",
        Postgres,
        &policy,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        a.sql
            .starts_with("INSERT INTO audit (id, note) SELECT $1, $2 WHERE (NOT EXISTS")
            && a.sql
                .contains("ON CONFLICT (id) DO UPDATE SET note = $2 WHERE (NOT EXISTS"),
        "{}",
        a.sql
    );
    let e = analyse(
        "INSERT INTO audit (note) SELECT ? ORDER BY COUNT(*)",
        Sqlite,
        &policy,
    )
    .expect_err("an aggregate in ORDER BY");
    assert!(e.contains("ORDER BY a function"), "{e}");
}

/// The update of an upsert touches a row the validated source did not make: it carries the
/// condition itself, and MySQL's form, which cannot, is refused.
#[test]
fn under_a_validity_condition_an_upserts_update_of_an_unguarded_table_carries_it() {
    let valid = rule(VALID, None);
    let owners = [items()];
    let unguarded = ["audit".to_owned()];
    let policy = Policy {
        owners: &owners,
        unguarded: &unguarded,
        valid: Some(&valid),
    };
    let a = analyse(
        "INSERT INTO audit (id, note) SELECT ?, ? WHERE true ON CONFLICT (id) DO UPDATE SET note = excluded.note",
        Sqlite,
        &policy,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        a.sql.matches("NOT EXISTS (SELECT 1 FROM revoked r").count(),
        2,
        "{}",
        a.sql
    );
    assert!(a.sql.ends_with("DO UPDATE SET note = excluded.note WHERE (NOT EXISTS (SELECT 1 FROM revoked r WHERE (r.jti = $4 AND r.jti = $4 COLLATE BINARY)) AND NOT EXISTS (SELECT 1 FROM users v WHERE (v.id = $3 AND v.id = $3 COLLATE BINARY) AND v.cutoff > $5))"), "{}", a.sql);
    let e = analyse(
        "INSERT INTO audit (id, note) SELECT ?, ? WHERE true ON DUPLICATE KEY UPDATE note = 'x'",
        MySql,
        &policy,
    )
    .expect_err("ODKU");
    assert!(e.contains("ON DUPLICATE KEY UPDATE cannot carry"), "{e}");
}

/// Filtering by owner is a real filter where a grant opens other owners' rows or the read is
/// public; where the owner alone decides it is refused (`tests/refusals.rs`).
#[test]
fn a_filter_by_owner_stays_where_a_grant_or_a_public_read_widens_the_rows() {
    let a = analysed("SELECT title FROM items WHERE owner_id = ?", Sqlite, None);
    assert_eq!(a.binds, [U(0), S], "{}", a.sql);
    assert!(a.sql.ends_with(" AND (owner_id = ?)"), "{}", a.sql);
    let public = [Owner {
        public_read: true,
        ..owner("items", "owner_id")
    }];
    analyse(
        "SELECT title FROM items WHERE items.owner_id = $1",
        Postgres,
        &only(&public),
    )
    .expect("a public read filters by author");
    let e = analyse(
        "DELETE FROM items WHERE id = $1 AND owner_id = $2",
        Postgres,
        &only(&public),
    )
    .expect_err("a write");
    assert!(e.contains("already binds it to the caller"), "{e}");
    // An update grant opens other owners' rows to the UPDATE.
    let owners = [shared_for_update()];
    analyse(
        "UPDATE items SET title = ? WHERE owner_id = ? AND id = ?",
        Sqlite,
        &only(&owners),
    )
    .expect("the update grant opens other owners' rows");
}

#[test]
fn every_comparison_of_a_column_with_a_claim_is_byte_exact_in_each_dialect() {
    let grant = rule(
        "EXISTS (SELECT 1 FROM shares s WHERE s.item_id = items.id AND :sub = s.user_id AND items.tenant = :tenant)",
        Some("items"),
    );
    let owners = [Owner {
        grants: Grants {
            delete: Some(grant),
            ..Grants::default()
        },
        ..owner("items", "owner_id")
    }];
    let valid = rule(VALID, None);
    let policy = Policy {
        owners: &owners,
        unguarded: &[],
        valid: Some(&valid),
    };
    let cases = [
        (
            "DELETE FROM items i WHERE i.id = ?",
            Sqlite,
            "DELETE FROM items i WHERE ((((i.owner_id = $2 AND i.owner_id = $2 COLLATE BINARY)) OR (EXISTS (SELECT 1 FROM shares s WHERE s.item_id = i.id AND (s.user_id = $2 AND s.user_id = $2 COLLATE BINARY) AND (i.tenant = $3 AND i.tenant = $3 COLLATE BINARY)))) AND (NOT EXISTS (SELECT 1 FROM revoked r WHERE (r.jti = $4 AND r.jti = $4 COLLATE BINARY)) AND NOT EXISTS (SELECT 1 FROM users v WHERE (v.id = $2 AND v.id = $2 COLLATE BINARY) AND v.cutoff > $5))) AND (i.id = ?)",
        ),
        (
            "DELETE FROM items i WHERE i.id = ?",
            MySql,
            "DELETE FROM items i WHERE (((i.owner_id = CAST(? AS BINARY)) OR (EXISTS (SELECT 1 FROM shares s WHERE s.item_id = i.id AND s.user_id = CAST(? AS BINARY) AND i.tenant = CAST(? AS BINARY)))) AND (NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = CAST(? AS BINARY)) AND NOT EXISTS (SELECT 1 FROM users v WHERE v.id = CAST(? AS BINARY) AND v.cutoff > ?))) AND (i.id = ?)",
        ),
        (
            "DELETE FROM items i WHERE i.id = $1",
            Postgres,
            "DELETE FROM items i WHERE ((((i.owner_id = $2 AND CAST(i.owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT))) OR (EXISTS (SELECT 1 FROM shares s WHERE s.item_id = i.id AND (s.user_id = $2 AND CAST(s.user_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT)) AND (i.tenant = $3 AND CAST(i.tenant AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT))))) AND (NOT EXISTS (SELECT 1 FROM revoked r WHERE (r.jti = $4 AND CAST(r.jti AS TEXT) COLLATE \"C\" = CAST($4 AS TEXT))) AND NOT EXISTS (SELECT 1 FROM users v WHERE (v.id = $2 AND CAST(v.id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT)) AND v.cutoff > $5))) AND (i.id = $1)",
        ),
    ];
    for (sql, dialect, expected) in cases {
        let a = analyse(sql, dialect, &policy).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(a.sql, expected, "{dialect:?}");
    }
    // The check that tells a revoked token compares as exactly.
    let check = valid.validity_check(MySql);
    assert!(
        check.sql.contains("r.jti = CAST(? AS BINARY)"),
        "{}",
        check.sql
    );
    assert_eq!(check.binds, [Claim::Jti, Claim::Sub, Claim::Iat]);
}

#[test]
fn a_claim_is_compared_with_a_column_by_equality_only() {
    let refused = [
        "EXISTS (SELECT 1 FROM shares s WHERE s.user_id LIKE :sub)",
        "EXISTS (SELECT 1 FROM shares s WHERE :sub IN (s.user_id, s.by))",
        "EXISTS (SELECT 1 FROM shares s WHERE s.user_id <> :sub)",
        "EXISTS (SELECT 1 FROM shares s WHERE LOWER(s.user_id) = :sub)",
        "EXISTS (SELECT 1 FROM shares s WHERE s.user_id = LOWER(:sub))",
        "EXISTS (SELECT 1 FROM shares s WHERE s.user_id > :sub)",
        "EXISTS (SELECT 1 FROM shares s WHERE (s.user_id) = :sub)",
        "EXISTS (SELECT 1 FROM shares s WHERE s.tenant = :tenant OR :role = 'admin')",
        "EXISTS (SELECT 1 FROM shares s WHERE s.user_id = :sub COLLATE utf8mb4_general_ci)",
        "items.owner_id = :sub OR :admin",
    ];
    for text in refused {
        match Rule::parse(text, Some("items")) {
            Ok(rule) => panic!("{text:?} accepted: {rule:?}"),
            Err(e) => assert!(
                e.message.contains("with a column by `=`"),
                "{text:?}: {}",
                e.message
            ),
        }
    }
    // `:iat`, a number, may be ordered against a column; the other claims are identities.
    rule(
        "NOT EXISTS (SELECT 1 FROM users c WHERE c.id = :sub AND c.cutoff > :iat)",
        None,
    );
    rule(
        "NOT EXISTS (SELECT 1 FROM users c WHERE :iat <= c.cutoff AND c.id = :sub)",
        None,
    );
}

#[test]
fn every_column_of_a_condition_is_qualified_by_a_table_in_scope() {
    let refused = [
        (
            "EXISTS (SELECT 1 FROM shares s WHERE s.item_id = item.id AND s.user_id = :sub)",
            "`item` names no table here: qualify a column with one of `items`, `s`",
        ),
        (
            "EXISTS (SELECT 1 FROM shares s WHERE s.item_id = id AND s.user_id = :sub)",
            "qualify `id` with its table",
        ),
        (
            "EXISTS (SELECT 1 FROM shares s WHERE s.item_id = items.id AND user_id = :sub)",
            "qualify `user_id` with its table",
        ),
        (
            "EXISTS (SELECT 1 FROM shares WHERE shares.item_id = items.id AND shares.user_id = :sub AND can_write)",
            "qualify `can_write`",
        ),
        // A table with an alias goes by its alias only.
        (
            "EXISTS (SELECT 1 FROM shares s WHERE shares.item_id = items.id AND s.user_id = :sub)",
            "`shares` names no table here",
        ),
        (
            "EXISTS (SELECT 1 FROM shares items WHERE items.user_id = :sub)",
            "the name that stands for the row",
        ),
        // A sibling sub-select's alias is not in scope.
        (
            "EXISTS (SELECT 1 FROM shares s WHERE s.user_id = :sub) AND EXISTS (SELECT 1 FROM teams t WHERE t.id = s.team)",
            "`s` names no table here",
        ),
    ];
    for (text, says) in refused {
        match Rule::parse(text, Some("items")) {
            Ok(rule) => panic!("{text:?} accepted: {rule:?}"),
            Err(e) => assert!(e.message.contains(says), "{text:?}: {}", e.message),
        }
    }
    let e = Rule::parse(
        "NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = :jti AND jti IS NULL)",
        None,
    )
    .expect_err("unqualified");
    assert!(e.message.contains("qualifiers here: `r`"), "{}", e.message);
    // A table without an alias by its name; an enclosing sub-select's alias; a join's.
    rule(
        "EXISTS (SELECT 1 FROM shares WHERE shares.item_id = items.id AND shares.user_id = :sub)",
        Some("items"),
    );
    rule(
        "EXISTS (SELECT 1 FROM shares s WHERE s.item_id = items.id AND EXISTS (SELECT 1 FROM members m JOIN teams t ON t.id = m.team_id WHERE m.team_id = s.team_id AND m.user_id = :sub))",
        Some("items"),
    );
}

/// A write that returns its rows reads them: a row only the write's grant opens is neither
/// returned nor written.
#[test]
fn a_write_returning_its_rows_needs_the_read_rule_too() {
    let plain = analysed("DELETE FROM items WHERE id = ?", Sqlite, None);
    assert!(plain.sql.contains("u.role = 'admin'"), "{}", plain.sql);
    assert!(!plain.sql.contains("FROM shares s"), "{}", plain.sql);
    let returning = analysed(
        "DELETE FROM items WHERE id = ? RETURNING title",
        Sqlite,
        None,
    );
    assert!(
        returning.sql.contains(
            "OR ((EXISTS (SELECT 1 FROM users u WHERE (u.id = $2 AND u.id = $2 COLLATE BINARY) AND u.role = 'admin')) AND (EXISTS (SELECT 1 FROM shares s WHERE s.item_id = items.id AND (s.user_id = $2 AND s.user_id = $2 COLLATE BINARY))))"
        ),
        "{}",
        returning.sql
    );
    // Without a read grant, only the owner's rows are returned, so only theirs are written.
    let owners = [shared_for_update()];
    let a = analyse(
        "UPDATE items SET title = $1 WHERE id = $2 RETURNING id",
        Postgres,
        &only(&owners),
    )
    .expect("guarded");
    assert!(!a.sql.contains("shares"), "{}", a.sql);
}

/// A guarded table an UPDATE or DELETE only reads (FROM, USING, a joined table) is read under
/// the read rule, not the write's grant.
#[test]
fn a_table_a_write_only_reads_takes_the_read_rule() {
    let owners = [shared_for_update()];
    let a = analyse(
        "UPDATE items SET title = src.title FROM items AS src WHERE items.id = $1 AND src.id = $2",
        Postgres,
        &only(&owners),
    )
    .expect("guarded");
    // The written row may be a grantee's; the source only the caller's own.
    assert_eq!(a.sql.matches("FROM shares s").count(), 1, "{}", a.sql);
    assert!(a.sql.contains("(src.owner_id = $3"), "{}", a.sql);
    let a = analyse(
        "UPDATE items AS dst JOIN items AS src ON src.id = ? SET dst.title = src.title WHERE dst.id = ?",
        MySql,
        &only(&owners),
    )
    .expect("guarded");
    assert_eq!(a.sql.matches("FROM shares s").count(), 1, "{}", a.sql);
    assert!(a.sql.contains("s.item_id = dst.id"), "{}", a.sql);
    let a = analysed(
        "DELETE FROM items USING items AS src WHERE items.id = $1 AND src.title = $2",
        Postgres,
        None,
    );
    // The delete grant (an administrator) opens the written row; the source reads through
    // the read grant (a share).
    assert!(a.sql.contains("u.role = 'admin'"), "{}", a.sql);
    assert!(a.sql.contains("s.item_id = src.id"), "{}", a.sql);
}
