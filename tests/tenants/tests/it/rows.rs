//! The scope of `guarded.toml` on the rows, statement form by statement form: a member reaches
//! her notes in her organisation; a token of another organisation, a removed member, a claim
//! that differs only in case or spaces reach nothing of them, and insert nothing into an
//! organisation the user is not a member of. Every case reads the rows back past the guard.

use crate::common::{Db, backends, claims, fresh, guard, join, label, labels, note, notes, row};
use guarded::{Deny, Error, Guard};
use guarded_tenants::{
    Member, copy, create, create_two, label_names, labels_of, list, put, remove, rename_label,
    retitle, retitle_returning, title, title_via_cte, transfer, with_labels,
};
use sqlx::Any;

fn denied<T: std::fmt::Debug>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Denied(Deny::NotFound)))
}

/// What a statement MariaDB cannot run (`UPDATE ... RETURNING`, `ON CONFLICT`) answers: the
/// server's refusal there, a denial elsewhere.
fn refused<T: std::fmt::Debug>(backend: &str, result: &Result<T, Error>) -> bool {
    if backend == "mysql" {
        matches!(result, Err(Error::Database(_)))
    } else {
        denied(result)
    }
}

/// The notes of the suite's two organisations, `acme` and `blue`.
struct World {
    db: Db,
    /// alice's note in acme, labelled `a-green` and `a-red`.
    alices: i64,
    /// dave's note in acme.
    daves: i64,
    /// bob's note in blue, labelled `b-blue`.
    bobs: i64,
    /// alice's note in blue, of which she is not a member (any more).
    left_behind: i64,
}

/// acme: alice and dave, members; root, its administrator. blue: bob, a member; carol, its
/// administrator.
async fn world(backend: &'static str) -> World {
    let db = fresh(backend).await;
    for (org, user, role) in [
        ("acme", "alice", "member"),
        ("acme", "dave", "member"),
        ("acme", "root", "admin"),
        ("blue", "bob", "member"),
        ("blue", "carol", "admin"),
    ] {
        join(&db, org, user, role).await;
    }
    let alices = note(&db, "acme", "alice", "alice plan").await;
    let daves = note(&db, "acme", "dave", "dave plan").await;
    let bobs = note(&db, "blue", "bob", "bob plan").await;
    let left_behind = note(&db, "blue", "alice", "alice old plan").await;
    label(&db, "acme", "alice", alices, "a-red").await;
    label(&db, "acme", "alice", alices, "a-green").await;
    label(&db, "blue", "bob", bobs, "b-blue").await;
    World {
        db,
        alices,
        daves,
        bobs,
        left_behind,
    }
}

/// Runs every form on the note `id` as `who` and asserts that none reads it, and that no
/// row of notes or labels changed.
async fn reaches_nothing(db: &Db, who: &dyn Fn() -> Guard<Any, Member>, id: i64, case: &str) {
    let b = db.backend;
    let (before, labels_before) = (notes(db).await, labels(db).await);
    assert_eq!(title(who(), id).await.unwrap(), None, "{b}: {case}: by id");
    assert!(
        !list(who()).await.unwrap().contains(&id),
        "{b}: {case}: listed"
    );
    assert!(
        with_labels(who(), id).await.unwrap().is_empty(),
        "{b}: {case}: JOIN"
    );
    assert!(
        labels_of(who(), id).await.unwrap().is_empty(),
        "{b}: {case}: sub-select"
    );
    assert_eq!(
        title_via_cte(who(), id).await.unwrap(),
        None,
        "{b}: {case}: CTE"
    );
    let r = retitle(who(), id, "pwned").await;
    assert!(denied(&r), "{b}: {case}: UPDATE: {r:?}");
    let r = retitle_returning(who(), id, "pwned").await;
    assert!(refused(b, &r), "{b}: {case}: UPDATE RETURNING: {r:?}");
    let r = transfer(who(), id, "mallory").await;
    assert!(denied(&r), "{b}: {case}: transfer: {r:?}");
    let r = put(who(), id, "pwned").await;
    assert!(refused(b, &r), "{b}: {case}: upsert: {r:?}");
    let r = copy(who(), id).await;
    assert!(denied(&r), "{b}: {case}: INSERT ... SELECT: {r:?}");
    let r = remove(who(), id).await;
    assert!(denied(&r), "{b}: {case}: DELETE: {r:?}");
    assert_eq!(notes(db).await, before, "{b}: {case}: the notes changed");
    assert_eq!(labels(db).await, labels_before, "{b}: {case}: the labels");
}

/// Runs every INSERT form as `who` and asserts that each is denied and none made a row.
async fn inserts_nothing(db: &Db, who: &dyn Fn() -> Guard<Any, Member>, case: &str) {
    let b = db.backend;
    let before = notes(db).await;
    let r = create(who(), "planted").await;
    assert!(denied(&r), "{b}: {case}: INSERT ... SELECT ?: {r:?}");
    let r = create_two(who(), "planted", "twice").await;
    assert!(denied(&r), "{b}: {case}: two rows: {r:?}");
    let r = put(who(), 9_000, "planted").await;
    assert!(refused(b, &r), "{b}: {case}: upsert of a new id: {r:?}");
    assert_eq!(notes(db).await, before, "{b}: {case}: a note was planted");
}

#[tokio::test]
async fn a_member_reads_her_notes_in_her_organisation_in_every_form() {
    for backend in backends() {
        let w = world(backend).await;
        let alice = || guard(&w.db, "alice", "acme");
        let id = w.alices;
        let plan = Some("alice plan".to_owned());
        assert_eq!(title(alice(), id).await.unwrap(), plan, "{backend}");
        assert_eq!(list(alice()).await.unwrap(), [id], "{backend}: hers only");
        assert_eq!(
            with_labels(alice(), id).await.unwrap(),
            [
                ("alice plan".to_owned(), "a-green".to_owned()),
                ("alice plan".to_owned(), "a-red".to_owned()),
            ],
            "{backend}"
        );
        assert_eq!(labels_of(alice(), id).await.unwrap(), ["a-green", "a-red"]);
        assert_eq!(title_via_cte(alice(), id).await.unwrap(), plan, "{backend}");
        // dave's note is in her organisation, but it is dave's: the owner rule still holds.
        assert_eq!(title(alice(), w.daves).await.unwrap(), None, "{backend}");
        // Labels are public within the organisation: dave reads alice's.
        let dave = guard(&w.db, "dave", "acme");
        assert_eq!(label_names(dave).await.unwrap(), ["a-green", "a-red"]);
        let bob = guard(&w.db, "bob", "blue");
        assert_eq!(label_names(bob).await.unwrap(), ["b-blue"], "{backend}");
    }
}

#[tokio::test]
async fn a_member_writes_her_notes_in_her_organisation_in_every_form() {
    for backend in backends() {
        let w = world(backend).await;
        let alice = || guard(&w.db, "alice", "acme");
        let id = w.alices;
        let at =
            |title: &str, version| Some(("acme".into(), "alice".into(), title.into(), version));
        retitle(alice(), id, "renamed").await.unwrap();
        assert_eq!(row(&w.db, id).await, at("renamed", 2), "{backend}");
        if backend == "mysql" {
            // MariaDB has no UPDATE ... RETURNING: the server refuses the statement.
            assert!(retitle_returning(alice(), id, "x").await.is_err());
        } else {
            assert_eq!(retitle_returning(alice(), id, "again").await.unwrap(), 3);
            assert_eq!(row(&w.db, id).await, at("again", 3), "{backend}");
        }
        let version = if backend == "mysql" { 2 } else { 3 };
        let r = put(alice(), id, "upserted").await;
        if backend == "mysql" {
            assert!(r.is_err(), "MariaDB has no ON CONFLICT: {r:?}");
        } else {
            r.unwrap();
            assert_eq!(row(&w.db, id).await, at("upserted", version), "{backend}");
        }
        let kept = row(&w.db, id).await.expect("the note").2;
        // The owner hands the note to dave: it stays in acme, and is dave's to write.
        transfer(alice(), id, "dave").await.unwrap();
        let moved = Some(("acme".to_owned(), "dave".to_owned(), kept, version));
        assert_eq!(row(&w.db, id).await, moved, "{backend}");
        assert!(denied(&retitle(alice(), id, "mine").await), "{backend}");
        let dave = || guard(&w.db, "dave", "acme");
        rename_label_is_the_authors(&w, backend).await;
        remove(dave(), id).await.unwrap();
        assert_eq!(row(&w.db, id).await, None, "{backend}");
        assert_eq!(notes(&w.db).await.len(), 3, "{backend}: the others stay");
    }
}

async fn rename_label_is_the_authors(w: &World, backend: &str) {
    let label_id = |name: &'static str| async move {
        sqlx::query_scalar::<Any, i64>(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM labels WHERE name = '{name}'"
        )))
        .fetch_one(&w.db.pool)
        .await
        .expect("the label")
    };
    let red = label_id("a-red").await;
    let dave = guard(&w.db, "dave", "acme");
    assert!(denied(&rename_label(dave, red, "x").await), "{backend}");
    let elsewhere = guard(&w.db, "alice", "blue");
    assert!(
        denied(&rename_label(elsewhere, red, "x").await),
        "{backend}"
    );
    rename_label(guard(&w.db, "alice", "acme"), red, "a-crimson")
        .await
        .unwrap();
    let names: Vec<String> = labels(&w.db).await.into_iter().map(|l| l.3).collect();
    assert_eq!(names, ["a-crimson", "a-green", "b-blue"], "{backend}");
}

#[tokio::test]
async fn a_member_inserts_into_her_organisation_in_every_form() {
    for backend in backends() {
        let w = world(backend).await;
        let alice = || guard(&w.db, "alice", "acme");
        create(alice(), "new").await.unwrap();
        create_two(alice(), "first", "second").await.unwrap();
        copy(alice(), w.alices).await.unwrap();
        // Copying a note she may not read copies nothing.
        assert!(denied(&copy(alice(), w.daves).await), "{backend}");
        if backend != "mysql" {
            put(alice(), 9_000, "put").await.unwrap();
        }
        let mut made: Vec<(String, String, String)> = notes(&w.db)
            .await
            .into_iter()
            .filter(|(id, _)| ![w.alices, w.daves, w.bobs, w.left_behind].contains(id))
            .map(|(_, (org, owner, title, _))| (org, owner, title))
            .collect();
        made.sort();
        let mut want = vec!["alice plan", "first", "new", "second"];
        if backend != "mysql" {
            want.push("put");
        }
        want.sort_unstable();
        let want: Vec<_> = want
            .into_iter()
            .map(|t| ("acme".to_owned(), "alice".to_owned(), t.to_owned()))
            .collect();
        assert_eq!(made, want, "{backend}: each in acme, each alice's");
        assert_eq!(
            list(alice()).await.unwrap().len(),
            want.len() + 1,
            "{backend}"
        );
        // A multi-row VALUES into the claim-only scope: each row takes the org and the owner.
        guarded_tenants::label(alice(), w.alices, "x1", "x2")
            .await
            .unwrap();
        let mut got = labels(&w.db).await;
        got.retain(|l| l.3.starts_with('x'));
        let lab = |name: &str| {
            (
                "acme".to_owned(),
                "alice".to_owned(),
                w.alices,
                name.to_owned(),
            )
        };
        assert_eq!(got, [lab("x1"), lab("x2")], "{backend}");
    }
}

#[tokio::test]
async fn a_token_of_another_organisation_reaches_none_of_her_notes() {
    for backend in backends() {
        let w = world(backend).await;
        let elsewhere = || guard(&w.db, "alice", "blue");
        // Not a member of blue: nothing of acme, nothing of her note left behind in blue.
        reaches_nothing(&w.db, &elsewhere, w.alices, "a blue token, no member").await;
        reaches_nothing(&w.db, &elsewhere, w.left_behind, "her note in blue").await;
        inserts_nothing(&w.db, &elsewhere, "into blue, no member").await;
        assert!(list(elsewhere()).await.unwrap().is_empty(), "{backend}");
        // A member of blue too: her blue note opens, her acme notes stay shut.
        join(&w.db, "blue", "alice", "member").await;
        reaches_nothing(&w.db, &elsewhere, w.alices, "a blue token, a member").await;
        assert_eq!(list(elsewhere()).await.unwrap(), [w.left_behind]);
        create(elsewhere(), "in blue").await.unwrap();
        let made = notes(&w.db).await.into_iter().find(|n| n.1.2 == "in blue");
        let want = (
            "blue".to_owned(),
            "alice".to_owned(),
            "in blue".to_owned(),
            1,
        );
        assert_eq!(
            made.map(|n| n.1),
            Some(want),
            "{backend}: in the token's org"
        );
    }
}

#[tokio::test]
async fn a_member_removed_from_her_organisation_reaches_nothing_of_it_until_she_rejoins() {
    for backend in backends() {
        let w = world(backend).await;
        let alice = || guard(&w.db, "alice", "acme");
        crate::common::exec(&w.db, "DELETE FROM members WHERE user_id = 'alice'").await;
        reaches_nothing(&w.db, &alice, w.alices, "removed").await;
        inserts_nothing(&w.db, &alice, "removed").await;
        // Labels check the token's org alone, not the membership: she still reads them.
        assert_eq!(label_names(alice()).await.unwrap(), ["a-green", "a-red"]);
        join(&w.db, "acme", "alice", "member").await;
        retitle(alice(), w.alices, "back").await.unwrap();
        assert_eq!(row(&w.db, w.alices).await.unwrap().2, "back", "{backend}");
    }
}

#[tokio::test]
async fn the_org_and_the_user_are_compared_byte_for_byte() {
    for backend in backends() {
        let w = world(backend).await;
        for (sub, org) in [
            ("alice", "ACME"),
            ("alice", "acme "),
            ("alice", "Acme"),
            ("ALICE", "acme"),
            ("alice ", "acme"),
        ] {
            let case = format!("{sub:?} in {org:?}");
            let who = || guard(&w.db, sub, org);
            reaches_nothing(&w.db, &who, w.alices, &case).await;
            inserts_nothing(&w.db, &who, &case).await;
        }
        // A label planted under "ACME" is another tenant's to the byte-exact scope.
        guarded_tenants::label(guard(&w.db, "alice", "ACME"), w.alices, "x1", "x2")
            .await
            .unwrap();
        let acme = guard(&w.db, "alice", "acme");
        assert_eq!(label_names(acme).await.unwrap(), ["a-green", "a-red"]);
    }
}

#[tokio::test]
async fn a_token_without_an_org_is_refused_before_any_row() {
    for backend in backends() {
        let w = world(backend).await;
        let bare = || claims(&w.db, "alice", None);
        let missing = |r: &Result<(), Error>| matches!(r, Err(Error::Unauthorized(e)) if e.code() == "missing_claim");
        let before = notes(&w.db).await;
        assert!(missing(&retitle(bare(), w.alices, "x").await), "{backend}");
        assert!(missing(&remove(bare(), w.alices).await), "{backend}");
        assert!(missing(&create(bare(), "x").await), "{backend}");
        assert!(missing(&transfer(bare(), w.alices, "x").await), "{backend}");
        assert!(
            matches!(title(bare(), w.alices).await, Err(Error::Unauthorized(_))),
            "{backend}"
        );
        assert_eq!(notes(&w.db).await, before, "{backend}");
    }
}

#[tokio::test]
async fn an_administrator_reads_and_deletes_any_note_of_her_organisation_only() {
    for backend in backends() {
        let w = world(backend).await;
        let root = |org| guard(&w.db, "root", org);
        let plan = Some("alice plan".to_owned());
        assert_eq!(title(root("acme"), w.alices).await.unwrap(), plan);
        assert_eq!(list(root("acme")).await.unwrap(), [w.alices, w.daves]);
        // The grants read and delete; the update stays the author's.
        assert!(denied(&retitle(root("acme"), w.alices, "x").await));
        // An administrator of blue, with a blue token or an acme one, reaches nothing of acme.
        let carol = |org| guard(&w.db, "carol", org);
        reaches_nothing(&w.db, &|| carol("blue"), w.alices, "blue's admin").await;
        reaches_nothing(&w.db, &|| carol("acme"), w.alices, "blue's admin, acme").await;
        // root, a member of blue too, holding a blue token: no grant in acme from there.
        join(&w.db, "blue", "root", "member").await;
        reaches_nothing(&w.db, &|| root("blue"), w.daves, "acme's admin, blue").await;
        remove(root("acme"), w.daves).await.unwrap();
        assert_eq!(row(&w.db, w.daves).await, None, "{backend}");
        remove(carol("blue"), w.bobs).await.unwrap();
        assert_eq!(row(&w.db, w.bobs).await, None, "{backend}");
        assert!(row(&w.db, w.alices).await.is_some(), "{backend}");
    }
}
