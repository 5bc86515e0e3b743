//! Each condition of `guarded.toml`, decided by the database inside the guarded statement:
//! every case checks the rows, on every backend of the run.

use crate::common::{backends, exec, fresh, guard, item, row};
use guarded::{Deny, Error};
use guarded_policies::{
    Session, archive, count, create, note, remove, remove_note, remove_returning, rename,
    rename_if, title, transfer,
};

const NOW: u64 = 1_800_000_000;

fn denied<T: std::fmt::Debug>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Denied(Deny::NotFound)))
}

async fn notes(pool: &sqlx::AnyPool) -> i64 {
    sqlx::query_scalar::<sqlx::Any, i64>("SELECT COUNT(*) FROM audit")
        .fetch_one(pool)
        .await
        .expect("the notes")
}

fn revoked<T: std::fmt::Debug>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Unauthorized(e)) if e.code() == "revoked")
}

#[tokio::test]
async fn an_owner_reads_and_writes_and_a_stranger_does_neither() {
    for backend in backends() {
        let pool = fresh(backend).await;
        let id = item(&pool, "alices", "alice").await;
        let alice = || guard(&pool, "alice", "a1", NOW);
        let mallory = || guard(&pool, "mallory", "m1", NOW);
        assert_eq!(title(alice(), id).await.unwrap().as_deref(), Some("alices"));
        assert_eq!(title(mallory(), id).await.unwrap(), None, "{backend}");
        assert!(denied(&rename(mallory(), id, "pwned").await), "{backend}");
        assert!(denied(&remove(mallory(), id).await), "{backend}");
        assert_eq!(
            row(&pool, id).await,
            Some(("alices".into(), "alice".into()))
        );
        rename(alice(), id, "renamed").await.unwrap();
        assert_eq!(row(&pool, id).await.unwrap().0, "renamed", "{backend}");
        transfer(alice(), id, "carol").await.unwrap();
        assert_eq!(row(&pool, id).await.unwrap().1, "carol", "{backend}");
    }
}

#[tokio::test]
async fn a_share_grants_reads_and_writes_only_when_it_says_so_and_never_deletes() {
    for backend in backends() {
        let pool = fresh(backend).await;
        let id = item(&pool, "shared", "alice").await;
        let bob = || guard(&pool, "bob", "b1", NOW);
        exec(
            &pool,
            &format!("INSERT INTO shares VALUES ({id}, 'bob', FALSE)"),
        )
        .await;
        assert_eq!(title(bob(), id).await.unwrap().as_deref(), Some("shared"));
        assert_eq!(count(bob()).await.unwrap(), 1, "{backend}");
        assert!(denied(&rename(bob(), id, "bob's now").await), "{backend}");
        assert_eq!(row(&pool, id).await.unwrap().0, "shared", "{backend}");
        exec(
            &pool,
            &format!("UPDATE shares SET can_write = TRUE WHERE item_id = {id}"),
        )
        .await;
        rename(bob(), id, "edited by bob").await.unwrap();
        assert_eq!(
            row(&pool, id).await,
            Some(("edited by bob".into(), "alice".into())),
            "{backend}: a grantee's write keeps the owner"
        );
        assert!(denied(&remove(bob(), id).await), "{backend}");
        assert!(denied(&transfer(bob(), id, "bob").await), "{backend}");
        assert_eq!(row(&pool, id).await.unwrap().1, "alice", "{backend}");
        exec(&pool, &format!("DELETE FROM shares WHERE item_id = {id}")).await;
        assert_eq!(title(bob(), id).await.unwrap(), None, "{backend}: revoked");
        assert!(denied(&rename(bob(), id, "again").await), "{backend}");
    }
}

#[tokio::test]
async fn an_administrator_deletes_any_item_until_demoted() {
    for backend in backends() {
        let pool = fresh(backend).await;
        let first = item(&pool, "one", "alice").await;
        let second = item(&pool, "two", "alice").await;
        let root = || guard(&pool, "root", "r1", NOW);
        exec(
            &pool,
            "INSERT INTO users (id, role) VALUES ('root', 'admin')",
        )
        .await;
        // The role grants deletes only: reading and renaming stay the owner's.
        assert_eq!(title(root(), first).await.unwrap(), None, "{backend}");
        assert!(denied(&rename(root(), first, "x").await), "{backend}");
        remove(root(), first).await.unwrap();
        assert_eq!(row(&pool, first).await, None, "{backend}");
        // The same token, demoted: the next statement reads the role as it is now.
        exec(&pool, "UPDATE users SET role = 'user' WHERE id = 'root'").await;
        assert!(denied(&remove(root(), second).await), "{backend}");
        assert!(row(&pool, second).await.is_some(), "{backend}");
    }
}

#[tokio::test]
async fn a_delete_that_returns_what_it_deletes_needs_the_read_rule_too() {
    for backend in backends() {
        let pool = fresh(backend).await;
        let first = item(&pool, "one", "alice").await;
        let second = item(&pool, "two", "alice").await;
        let root = || guard(&pool, "root", "r1", NOW);
        exec(
            &pool,
            "INSERT INTO users (id, role) VALUES ('root', 'admin')",
        )
        .await;
        // The administrator may delete the item but not read it: RETURNING would read it.
        let refused = remove_returning(root(), first).await;
        assert!(denied(&refused), "{backend}: {refused:?}");
        assert!(row(&pool, first).await.is_some(), "{backend}");
        // Shared with them, it is theirs to read, and so to delete with RETURNING.
        exec(
            &pool,
            &format!(
                "INSERT INTO shares (item_id, user_id, can_write) VALUES ({first}, 'root', false)"
            ),
        )
        .await;
        assert_eq!(
            remove_returning(root(), first).await.unwrap(),
            "one",
            "{backend}"
        );
        assert_eq!(row(&pool, first).await, None, "{backend}");
        // The owner's own delete returns what it deleted.
        let alice = guard(&pool, "alice", "a1", NOW);
        assert_eq!(
            remove_returning(alice, second).await.unwrap(),
            "two",
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_revoked_token_is_unauthorized_and_changes_no_row_and_another_token_still_works() {
    for backend in backends() {
        let pool = fresh(backend).await;
        let id = item(&pool, "mine", "alice").await;
        let logged_out = || guard(&pool, "alice", "old", NOW);
        exec(&pool, "INSERT INTO revoked_tokens VALUES ('old')").await;
        // A statement that finds nothing asks whether the token still passes: 401 `revoked`.
        assert!(revoked(&title(logged_out(), id).await), "{backend}");
        assert!(
            revoked(&rename(logged_out(), id, "late").await),
            "{backend}"
        );
        assert!(revoked(&remove(logged_out(), id).await), "{backend}");
        assert!(
            revoked(&create(logged_out(), "sneaked in").await),
            "{backend}"
        );
        // A write to an unguarded table carries the condition too.
        assert!(revoked(&note(logged_out(), id, "late").await), "{backend}");
        assert_eq!(notes(&pool).await, 0, "{backend}");
        note(guard(&pool, "alice", "new", NOW), id, "fine")
            .await
            .unwrap();
        assert_eq!(notes(&pool).await, 1, "{backend}");
        // A count finds a row (zero): it sees nothing of the caller's, and asks nothing.
        assert_eq!(count(logged_out()).await.unwrap(), 0, "{backend}");
        assert_eq!(row(&pool, id).await.unwrap().0, "mine", "{backend}");
        let fresh_token = || guard(&pool, "alice", "new", NOW);
        rename(fresh_token(), id, "still mine").await.unwrap();
        create(fresh_token(), "another").await.unwrap();
        assert_eq!(count(fresh_token()).await.unwrap(), 2, "{backend}");
    }
}

#[tokio::test]
async fn signing_out_everywhere_voids_every_token_issued_before_it() {
    for backend in backends() {
        let pool = fresh(backend).await;
        let id = item(&pool, "mine", "alice").await;
        exec(
            &pool,
            &format!("INSERT INTO users (id, tokens_valid_after) VALUES ('alice', {NOW})"),
        )
        .await;
        let before = || guard(&pool, "alice", "t1", NOW - 1);
        let after = || guard(&pool, "alice", "t2", NOW + 1);
        assert!(revoked(&rename(before(), id, "late").await), "{backend}");
        assert!(revoked(&create(before(), "late").await), "{backend}");
        assert_eq!(count(before()).await.unwrap(), 0, "{backend}");
        rename(after(), id, "renewed").await.unwrap();
        assert_eq!(row(&pool, id).await.unwrap().0, "renewed", "{backend}");
        // Another user's cut-off voids nothing of alices.
        exec(
            &pool,
            &format!(
                "INSERT INTO users (id, tokens_valid_after) VALUES ('bob', {})",
                NOW + 100
            ),
        )
        .await;
        rename(after(), id, "still").await.unwrap();
    }
}

#[tokio::test]
async fn a_token_without_the_claims_the_policy_binds_is_unauthorized_and_touches_nothing() {
    let pool = fresh("sqlite").await;
    let id = item(&pool, "mine", "alice").await;
    let claims: guarded::Claims =
        serde_json::from_value(serde_json::json!({ "sub": "alice", "exp": u64::MAX / 2 }))
            .expect("claims");
    let bare = guarded::Guard::trusted(pool.clone(), claims);
    match rename(bare, id, "no jti").await {
        Err(Error::Unauthorized(e)) => assert_eq!(e.code(), "missing_claim"),
        other => panic!("{other:?}"),
    }
    assert_eq!(row(&pool, id).await.unwrap().0, "mine");
}

#[tokio::test]
async fn an_archived_item_refuses_updates_with_409_to_those_who_could_write_it_only() {
    for backend in backends() {
        let pool = fresh(backend).await;
        let id = item(&pool, "old", "alice").await;
        let alice = || guard(&pool, "alice", "a1", NOW);
        let bob = || guard(&pool, "bob", "b1", NOW);
        let carol = || guard(&pool, "carol", "c1", NOW);
        exec(
            &pool,
            &format!("INSERT INTO shares VALUES ({id}, 'bob', TRUE)"),
        )
        .await;
        exec(
            &pool,
            &format!("INSERT INTO shares VALUES ({id}, 'carol', FALSE)"),
        )
        .await;
        assert!(denied(&archive(carol(), id).await), "{backend}");
        archive(alice(), id).await.unwrap();
        let conflict = |r: &Result<(), Error>| matches!(r, Err(Error::Conflict("archived")));
        assert!(conflict(&rename(alice(), id, "new").await), "{backend}");
        assert!(conflict(&transfer(alice(), id, "dave").await), "{backend}");
        assert!(
            conflict(&rename(bob(), id, "new").await),
            "{backend}: a writer"
        );
        // A reader who may not write, and a stranger, learn nothing of its state.
        assert!(denied(&rename(carol(), id, "new").await), "{backend}");
        assert!(
            denied(&rename(guard(&pool, "mallory", "m1", NOW), id, "new").await),
            "{backend}"
        );
        assert!(
            denied(&rename(alice(), id + 1000, "new").await),
            "{backend}: absent"
        );
        assert_eq!(
            row(&pool, id).await,
            Some(("old".into(), "alice".into())),
            "{backend}"
        );
        // Reads and deletes are not updates.
        assert_eq!(title(alice(), id).await.unwrap().as_deref(), Some("old"));
        remove(alice(), id).await.unwrap();
        assert_eq!(row(&pool, id).await, None, "{backend}");
    }
}

#[tokio::test]
async fn a_stale_version_is_412_to_those_who_could_write_the_row_only() {
    for backend in backends() {
        let pool = fresh(backend).await;
        let id = item(&pool, "v1", "alice").await;
        let alice = || guard(&pool, "alice", "a1", NOW);
        let mallory = || guard(&pool, "mallory", "m1", NOW);
        let stale = |r: &Result<(), Error>| matches!(r, Err(Error::PreconditionFailed));
        rename_if(alice(), id, "v2", 1).await.unwrap();
        assert!(stale(&rename_if(alice(), id, "lost", 1).await), "{backend}");
        assert_eq!(row(&pool, id).await.unwrap().0, "v2", "{backend}");
        // Whatever the version, a stranger and an absent row are 404.
        assert!(denied(&rename_if(mallory(), id, "x", 1).await), "{backend}");
        assert!(denied(&rename_if(mallory(), id, "x", 2).await), "{backend}");
        assert!(
            denied(&rename_if(alice(), id + 1000, "x", 2).await),
            "{backend}"
        );
        // Archived: the current version is refused by the state, a stale one by the version.
        archive(alice(), id).await.unwrap();
        let conflict = |r: &Result<(), Error>| matches!(r, Err(Error::Conflict("archived")));
        assert!(conflict(&rename_if(alice(), id, "x", 2).await), "{backend}");
        assert!(stale(&rename_if(alice(), id, "x", 1).await), "{backend}");
        assert_eq!(row(&pool, id).await.unwrap().0, "v2", "{backend}");
    }
}

/// A guard for `sub` whose token names the session `sid`, or none.
fn session(
    pool: &sqlx::AnyPool,
    sub: &str,
    sid: Option<&str>,
) -> guarded::Guard<sqlx::Any, Session> {
    let claims = Session {
        sub: sub.into(),
        jti: Some(format!("{sub}-token")),
        iat: Some(NOW),
        sid: sid.map(Into::into),
    };
    guarded::Guard::trusted(pool.clone(), claims)
}

async fn notes_left(pool: &sqlx::AnyPool) -> i64 {
    sqlx::query_scalar::<sqlx::Any, i64>("SELECT COUNT(*) FROM notes")
        .fetch_one(pool)
        .await
        .expect("the notes")
}

#[tokio::test]
async fn a_claim_a_condition_binds_is_present_or_the_token_is_refused_before_any_row() {
    for backend in backends() {
        let pool = fresh(backend).await;
        exec(
            &pool,
            "INSERT INTO notes (id, team, owner_id) VALUES (1, 'red', 'alice'), (2, 'red', 'alice')",
        )
        .await;
        exec(&pool, "INSERT INTO members VALUES ('red', 'mod', TRUE)").await;
        exec(&pool, "INSERT INTO suspended_sessions VALUES ('s-old')").await;
        // Without a `sid`, `s.sid = NULL` matches no suspension: the token would pass as never
        // suspended. It is refused before any statement, for the owner too.
        for sub in ["mod", "alice"] {
            match remove_note(session(&pool, sub, None), 1).await {
                Err(Error::Unauthorized(e)) => {
                    assert_eq!(e.code(), "missing_claim", "{backend}");
                }
                other => panic!("{backend}: {sub} without a sid: {other:?}"),
            }
        }
        assert_eq!(notes_left(&pool).await, 2, "{backend}");
        assert!(
            denied(&remove_note(session(&pool, "mod", Some("s-old")), 1).await),
            "{backend}: a suspended session"
        );
        assert_eq!(notes_left(&pool).await, 2, "{backend}");
        remove_note(session(&pool, "mod", Some("s-new")), 1)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e:?}"));
        remove_note(session(&pool, "alice", Some("s-old")), 2)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e:?}"));
        assert_eq!(notes_left(&pool).await, 0, "{backend}");
    }
}

#[tokio::test]
async fn a_name_equal_to_a_grantees_only_under_a_collation_is_another_user() {
    for backend in backends() {
        let pool = fresh(backend).await;
        let shared = item(&pool, "shared", "alice").await;
        let kept = item(&pool, "kept", "alice").await;
        exec(
            &pool,
            &format!("INSERT INTO shares VALUES ({shared}, 'dave', TRUE)"),
        )
        .await;
        exec(
            &pool,
            "INSERT INTO users (id, role) VALUES ('dave', 'admin')",
        )
        .await;
        exec(
            &pool,
            "INSERT INTO notes (id, team, owner_id) VALUES (1, 'red', 'alice')",
        )
        .await;
        exec(&pool, "INSERT INTO members VALUES ('red', 'dave', TRUE)").await;
        for name in ["DAVE", "dave ", "Dave"] {
            let as_dave = || guard(&pool, name, "d1", NOW);
            assert_eq!(
                title(as_dave(), shared).await.unwrap(),
                None,
                "{backend}: {name:?} read dave's share"
            );
            assert_eq!(count(as_dave()).await.unwrap(), 0, "{backend}: {name:?}");
            assert!(
                denied(&rename(as_dave(), shared, "pwned").await),
                "{backend}: {name:?} wrote through dave's share"
            );
            assert!(
                denied(&remove(as_dave(), kept).await),
                "{backend}: {name:?} deleted as the administrator dave"
            );
            assert!(
                denied(&remove_note(session(&pool, name, Some("s1")), 1).await),
                "{backend}: {name:?} deleted as the moderator dave"
            );
        }
        assert_eq!(
            row(&pool, shared).await,
            Some(("shared".into(), "alice".into())),
            "{backend}"
        );
        assert_eq!(
            row(&pool, kept).await,
            Some(("kept".into(), "alice".into())),
            "{backend}"
        );
        assert_eq!(notes_left(&pool).await, 1, "{backend}");
        // dave himself, spelled as stored.
        let dave = || guard(&pool, "dave", "d1", NOW);
        rename(dave(), shared, "by dave").await.unwrap();
        assert_eq!(row(&pool, shared).await.unwrap().0, "by dave", "{backend}");
        remove(dave(), kept).await.unwrap();
        assert_eq!(row(&pool, kept).await, None, "{backend}");
        remove_note(session(&pool, "dave", Some("s1")), 1)
            .await
            .unwrap();
        assert_eq!(notes_left(&pool).await, 0, "{backend}");
    }
}
