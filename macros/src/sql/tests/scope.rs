//! A table's scope: AND-ed into every statement on it, its claim columns forced on INSERT and
//! never assigned, the rest of it checked on the row an INSERT makes.

use super::{Dialect, MySql, Owner, Policy, Postgres, S, Sqlite, U, analyse, owner};
use crate::policy::{Condition, Scope};
use crate::sql::{Bind, Claim, Grants, Rule};

const TENANT: &str = "notes.org_id = :org";
const MEMBER: &str = "notes.org_id = :org AND EXISTS (SELECT 1 FROM members m WHERE m.org_id = notes.org_id AND m.user_id = :sub)";
fn org() -> Bind {
    Bind::Claim(Claim::Field("org".into()))
}

fn scope(text: &str) -> Scope {
    Scope::parse(text, "notes").unwrap_or_else(|e| panic!("{text}: {}", e.message))
}

fn notes(text: &str) -> Owner {
    Owner {
        scope: Some(scope(text)),
        ..owner("notes", "owner_id")
    }
}

fn run(sql: &str, dialect: Dialect, owner: Owner) -> Result<super::Analysis, String> {
    let owners = [owner];
    let policy = Policy {
        owners: &owners,
        unguarded: &[],
        valid: None,
    };
    analyse(sql, dialect, &policy)
}

fn ok(sql: &str, dialect: Dialect, owner: Owner) -> super::Analysis {
    run(sql, dialect, owner).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn a_scope_names_the_columns_it_sets_reads_and_what_an_insert_checks() {
    let tenant = scope(TENANT);
    assert_eq!(
        tenant.set,
        [("org_id".to_owned(), Claim::Field("org".into()))]
    );
    assert_eq!(tenant.reads, ["org_id"]);
    assert_eq!(tenant.insert, Ok(None));
    let member = scope(MEMBER);
    assert_eq!(member.set, tenant.set);
    assert_eq!(member.reads, ["org_id"]);
    let check = member.insert.clone().expect("checkable").expect("a check");
    assert_eq!(
        check,
        Rule::parse(
            "EXISTS (SELECT 1 FROM members m WHERE m.org_id = :org AND (m.user_id = :sub))",
            Some("notes")
        )
        .expect("a rule")
    );
    // Written the other way round, or in parentheses, a top-level conjunct still sets.
    assert_eq!(
        scope("(:org = notes.org_id) AND NOT notes.hidden").set,
        tenant.set
    );
    // Under OR it sets nothing, and what it reads of the row cannot be checked on INSERT.
    let either = scope("notes.org_id = :org OR notes.public");
    assert!(either.set.is_empty());
    assert_eq!(either.reads, ["org_id", "public"]);
    let e = either.insert.expect_err("uncheckable");
    assert!(
        e.contains("`notes.org_id`, which an INSERT does not set"),
        "{e}"
    );
    let team = scope(
        "EXISTS (SELECT 1 FROM members m WHERE m.team_id = notes.team_id AND m.user_id = :sub)",
    );
    assert!(
        team.insert
            .expect_err("uncheckable")
            .contains("notes.team_id")
    );
    let e = Scope::parse("EXISTS (SELECT 1 FROM orgs o WHERE o.id = :org)", "notes")
        .expect_err("no row");
    assert!(
        e.message.contains("a scope decides on the row"),
        "{}",
        e.message
    );
}

#[test]
fn every_reference_carries_the_scope_after_who_may() {
    let read = ok(
        "SELECT title FROM notes WHERE id = ?",
        Sqlite,
        notes(TENANT),
    );
    assert_eq!(
        read.sql,
        "SELECT title FROM notes WHERE (((notes.owner_id = $2 AND notes.owner_id = $2 COLLATE BINARY)) AND ((notes.org_id = $3 AND notes.org_id = $3 COLLATE BINARY))) AND (id = ?)"
    );
    assert_eq!(read.binds, [U(0), S, org()]);
    let delete = ok("DELETE FROM notes WHERE id = $1", Postgres, notes(TENANT));
    assert_eq!(
        delete.sql,
        "DELETE FROM notes WHERE (((notes.owner_id = $2 AND CAST(notes.owner_id AS TEXT) COLLATE \"C\" = CAST($2 AS TEXT))) AND ((notes.org_id = $3 AND CAST(notes.org_id AS TEXT) COLLATE \"C\" = CAST($3 AS TEXT)))) AND (id = $1)"
    );
    assert_eq!(delete.binds, [U(0), S, org()]);
    // A grant widens who may; the scope still restricts it.
    let granted = Owner {
        grants: Grants {
            update: Some(
                Rule::parse(
                    "EXISTS (SELECT 1 FROM admins a WHERE a.user_id = :sub)",
                    Some("notes"),
                )
                .expect("a rule"),
            ),
            ..Grants::default()
        },
        ..notes(TENANT)
    };
    let update = ok(
        "UPDATE notes n SET title = ? WHERE n.id = ?",
        MySql,
        granted,
    );
    assert_eq!(
        update.sql,
        "UPDATE notes n SET title = ? WHERE (((n.owner_id = CAST(? AS BINARY)) OR (EXISTS (SELECT 1 FROM admins a WHERE a.user_id = CAST(? AS BINARY)))) AND (n.org_id = CAST(? AS BINARY))) AND (n.id = ?)"
    );
    assert_eq!(update.binds, [U(0), S, S, org(), U(1)]);
}

#[test]
fn a_public_read_stays_in_its_scope_unless_anyone_may_read() {
    let public = Owner {
        public_read: true,
        ..notes(TENANT)
    };
    let read = ok("SELECT title FROM notes", Sqlite, public.clone());
    assert_eq!(
        read.sql,
        "SELECT title FROM notes WHERE ((notes.org_id = $2 AND notes.org_id = $2 COLLATE BINARY))"
    );
    assert_eq!(read.binds, [S, org()]);
    // Under `[token] valid`, a read its claims decide is one a revoked token may not make.
    let valid = Rule::parse(
        "NOT EXISTS (SELECT 1 FROM revoked r WHERE r.jti = :jti)",
        None,
    )
    .expect("a rule");
    let owners = [public.clone()];
    let policy = Policy {
        owners: &owners,
        unguarded: &[],
        valid: Some(&valid),
    };
    let read = analyse("SELECT title FROM notes", Sqlite, &policy).expect("guarded");
    assert_eq!(
        read.sql,
        "SELECT title FROM notes WHERE ((NOT EXISTS (SELECT 1 FROM revoked r WHERE (r.jti = $2 AND r.jti = $2 COLLATE BINARY))) AND ((notes.org_id = $3 AND notes.org_id = $3 COLLATE BINARY)))"
    );
    assert!(
        read.validity,
        "zero rows asks whether the token is still valid"
    );
    let mut anyone = public;
    anyone.scope.as_mut().expect("scoped").on_reads = false;
    let read = ok("SELECT title FROM notes", Sqlite, anyone.clone());
    assert_eq!(read.sql, "SELECT title FROM notes");
    // Its writes still carry both.
    let write = ok("DELETE FROM notes WHERE id = ?", Sqlite, anyone);
    assert!(
        write
            .sql
            .contains("(notes.org_id = $3 AND notes.org_id = $3 COLLATE BINARY)"),
        "{}",
        write.sql
    );
}

#[test]
fn an_insert_sets_the_scope_columns_from_their_claims() {
    let values = ok(
        "INSERT INTO notes (title) VALUES (?), (?)",
        Sqlite,
        notes(TENANT),
    );
    assert_eq!(
        values.sql,
        "INSERT INTO notes (title, owner_id, org_id) VALUES (?, $3, $4), (?, $3, $4)"
    );
    assert_eq!(values.binds, [U(0), U(1), S, org()]);
    let numbered = ok(
        "INSERT INTO notes (title) SELECT $1",
        Postgres,
        notes(TENANT),
    );
    assert_eq!(
        numbered.sql,
        "INSERT INTO notes (title, owner_id, org_id) SELECT $1, $2, $3"
    );
    for named in [
        "INSERT INTO notes (title, org_id) VALUES (?, ?)",
        "INSERT INTO notes (title, \"ORG_ID\") VALUES (?, ?)",
    ] {
        let e = run(named, Sqlite, notes(TENANT)).expect_err("names a scope column");
        assert!(
            e.contains("sets `org_id` to the claim `:org`"),
            "{named}: {e}"
        );
    }
}

#[test]
fn an_insert_checks_the_rest_of_the_scope_on_its_row() {
    let e = run(
        "INSERT INTO notes (title) VALUES (?)",
        Sqlite,
        notes(MEMBER),
    )
    .expect_err("VALUES has no WHERE");
    assert!(e.contains("the table's `scope`"), "{e}");
    let insert = ok("INSERT INTO notes (title) SELECT ?", Sqlite, notes(MEMBER));
    assert_eq!(
        insert.sql,
        "INSERT INTO notes (title, owner_id, org_id) SELECT ?, $2, $3 WHERE (EXISTS (SELECT 1 FROM members m WHERE (m.org_id = $3 AND m.org_id = $3 COLLATE BINARY) AND ((m.user_id = $2 AND m.user_id = $2 COLLATE BINARY))))"
    );
    assert_eq!(insert.binds, [U(0), S, org()]);
    assert!(
        insert.zero_rows_denies,
        "a row the scope refuses is a denial"
    );
    // A SELECT that may make a row from none is filtered after it runs.
    let counted = ok(
        "INSERT INTO notes (title) SELECT COUNT(*) FROM tags",
        Postgres,
        notes(MEMBER),
    );
    assert!(
        counted.sql.starts_with(
            "INSERT INTO notes (title, owner_id, org_id) SELECT * FROM (SELECT COUNT(*), $1, $2 FROM tags) AS __guarded_rows WHERE (EXISTS"
        ),
        "{}",
        counted.sql
    );
    let e = run(
        "INSERT INTO notes (title) SELECT ?",
        Sqlite,
        notes("notes.org_id = :org OR notes.public"),
    )
    .expect_err("uncheckable");
    assert!(e.contains("an INSERT into `notes` is refused"), "{e}");
}

#[test]
fn no_update_moves_a_row_out_of_its_scope() {
    for sql in [
        "UPDATE notes SET org_id = ? WHERE id = ?",
        "UPDATE notes SET title = ?, ORG_ID = ? WHERE id = ?",
        "UPDATE notes n SET n.org_id = ? WHERE n.id = ?",
        "INSERT INTO notes (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET org_id = excluded.title",
    ] {
        let e = run(sql, Sqlite, notes(TENANT)).expect_err("moves the row");
        assert!(
            e.to_ascii_lowercase()
                .contains("sets `org_id`, which the scope of `notes` reads"),
            "{sql}: {e}"
        );
    }
    let e = run(
        "UPDATE notes SET hidden = TRUE WHERE id = ?",
        Sqlite,
        notes("notes.org_id = :org AND NOT notes.hidden"),
    )
    .expect_err("a column the scope reads");
    assert!(e.contains("sets `hidden`"), "{e}");
    // The owner moves a row to another owner within its scope: a transfer keeps the scope.
    let transfer = ok(
        "UPDATE notes SET owner_id = ? WHERE id = ?",
        Sqlite,
        notes(TENANT),
    );
    assert!(
        transfer.sql.ends_with(
            "WHERE (((notes.owner_id = $3 AND notes.owner_id = $3 COLLATE BINARY)) AND ((notes.org_id = $4 AND notes.org_id = $4 COLLATE BINARY))) AND (id = ?)"
        ),
        "{}",
        transfer.sql
    );
    // The update of an upsert meets the conflicting row under the scope.
    let upsert = ok(
        "INSERT INTO notes (id, title) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        Sqlite,
        notes(TENANT),
    );
    assert!(
        upsert.sql.ends_with(
            "DO UPDATE SET title = excluded.title WHERE (((notes.owner_id = $3 AND notes.owner_id = $3 COLLATE BINARY)) AND ((notes.org_id = $4 AND notes.org_id = $4 COLLATE BINARY)))"
        ),
        "{}",
        upsert.sql
    );
}

#[test]
fn a_write_on_a_scoped_table_marks_its_existence_check_as_scoped() {
    let update = ok(
        "UPDATE notes SET title = ? WHERE id = ?",
        Sqlite,
        notes(TENANT),
    );
    let check = update.existence_check.expect("a single-table update");
    assert!(check.scoped);
    let plain = ok(
        "UPDATE notes SET title = ? WHERE id = ?",
        Sqlite,
        owner("notes", "owner_id"),
    );
    assert!(!plain.existence_check.expect("a check").scoped);
}

#[test]
fn the_check_of_a_refused_write_stays_in_the_scope_whoever_reads() {
    // Reads cross the scope (`read = "anyone"`); a 409 or 412 must still not answer for a row
    // the write could not reach, such as the caller's own note in another tenant.
    let mut archived = Owner {
        public_read: true,
        version: Some("version".into()),
        conditions: vec![Condition {
            code: "archived".into(),
            update: Some(Rule::parse("NOT notes.archived", Some("notes")).expect("a rule")),
            delete: None,
        }],
        ..notes(TENANT)
    };
    archived.scope.as_mut().expect("scoped").on_reads = false;
    let update = ok(
        "UPDATE notes SET title = ? WHERE id = ? AND version = ?",
        Sqlite,
        archived,
    );
    assert_eq!(update.conflicts.len(), 2, "archived, then the version");
    for check in &update.conflicts {
        // The org claim is numbered after the check's user values and the subject.
        let users = check.binds.iter().filter(|b| matches!(b, U(_))).count();
        let org = format!("${}", users + 2);
        assert!(
            check.sql.contains(&format!(
                "(notes.org_id = {org} AND notes.org_id = {org} COLLATE BINARY)"
            )),
            "{:?}: {}",
            check.code,
            check.sql
        );
    }
}
