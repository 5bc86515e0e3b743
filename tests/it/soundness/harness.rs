//! The world every case runs in, the two checks (a read, a write), and the macros that stamp
//! out one guarded fn and its test per case.
//!
//! Items: alice owns `alice-secret` (the target) and `alice-other`, bob owns `bob-secret`,
//! mallory owns `mallory-own`; every item has one audit note. The stranger is mallory: she
//! calls each fn with alice's id.

use std::collections::BTreeSet;

use guarded::Guard;
use sqlx::{MySql, Pool, Postgres, Sqlite};

use crate::common::{Backend, seed};

/// The guard the suite's fns run with (`Guard::trusted`).
pub use crate::common::guard;

/// The caller who wants other people's rows.
pub const STRANGER: &str = "mallory";
/// The owner of the target row.
pub const OWNER: &str = "alice";

/// (id, title, owner)
pub type Item = (i64, String, String);
/// (id, item id, note)
pub type Note = (i64, i64, String);

/// Reads both tables back on the pool, bypassing any guard.
pub trait Dump: Backend {
    fn dump(pool: &Pool<Self>) -> impl Future<Output = (Vec<Item>, Vec<Note>)> + Send;

    /// Adds the note `note` to item `id`.
    fn note(pool: &Pool<Self>, id: i64) -> impl Future<Output = ()> + Send;
}

macro_rules! dump_impl {
    ($($db:ident),*) => {$(
        impl Dump for $db {
            async fn dump(pool: &Pool<Self>) -> (Vec<Item>, Vec<Note>) {
                let items = sqlx::query_as("SELECT id, title, owner_id FROM items ORDER BY id")
                    .fetch_all(pool)
                    .await
                    .expect("read items");
                let notes = sqlx::query_as("SELECT id, item_id, note FROM audit ORDER BY id")
                    .fetch_all(pool)
                    .await
                    .expect("read audit");
                (items, notes)
            }

            async fn note(pool: &Pool<Self>, id: i64) {
                // Literal text, no placeholders: the one form all three dialects read alike.
                let sql = format!("INSERT INTO audit (item_id, note) VALUES ({id}, 'note')");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(pool)
                    .await
                    .expect("seed note");
            }
        }
    )*};
}
dump_impl!(Sqlite, Postgres, MySql);

/// A fresh database with the four items and their notes.
pub struct World<DB: Backend> {
    pub pool: Pool<DB>,
    /// Alice's item the stranger aims at.
    pub target: i64,
}

impl<DB: Dump> World<DB> {
    /// `None` when the backend's server variable is unset.
    pub async fn new() -> Option<Self> {
        Self::with(&[
            ("alice-secret", OWNER),
            ("alice-other", OWNER),
            ("bob-secret", "bob"),
            ("mallory-own", STRANGER),
        ])
        .await
    }

    /// Items with the given (title, owner), in order; the first is the target.
    pub async fn with(items: &[(&str, &str)]) -> Option<Self> {
        Some(Self::on(DB::fresh().await?, items).await)
    }

    /// `with`, on a database the caller prepared.
    pub async fn on(pool: Pool<DB>, items: &[(&str, &str)]) -> Self {
        let mut ids = Vec::new();
        for (title, owner) in items {
            ids.push(seed(&pool, title, owner).await);
        }
        for id in &ids {
            DB::note(&pool, *id).await;
        }
        Self {
            pool,
            target: ids[0],
        }
    }

    pub async fn dump(&self) -> (Vec<Item>, Vec<Note>) {
        DB::dump(&self.pool).await
    }
}

fn owned_by(items: &[Item], who: &str) -> BTreeSet<i64> {
    items
        .iter()
        .filter(|(_, _, owner)| owner == who)
        .map(|(id, _, _)| *id)
        .collect()
}

/// Every row of `before` not owned by `caller` is still there, unchanged; every new row is
/// the caller's and carries no other owner's name (seeded titles do: an INSERT ... SELECT that
/// read their rows would copy it); notes of other owners' items are unchanged.
fn assert_only_own_rows_changed(
    case: &str,
    caller: &str,
    before: &(Vec<Item>, Vec<Note>),
    after: &(Vec<Item>, Vec<Note>),
) {
    let (items_before, notes_before) = before;
    let (items_after, notes_after) = after;
    let mine_before = owned_by(items_before, caller);
    for item in items_before.iter().filter(|i| i.2 != caller) {
        assert!(
            items_after.contains(item),
            "{case}: {caller} changed or deleted {item:?}\nafter: {items_after:?}"
        );
    }
    for item in items_after.iter().filter(|i| !items_before.contains(i)) {
        assert_eq!(
            item.2, caller,
            "{case}: {caller} wrote {item:?} owned by someone else"
        );
        // Seeded titles carry their owner's name.
        let copied = items_before
            .iter()
            .filter(|other| other.2 != caller)
            .any(|other| item.1.contains(other.2.as_str()));
        assert!(
            !copied,
            "{case}: {caller} copied another owner's title into {item:?}"
        );
    }
    let theirs = |note: &&Note| !mine_before.contains(&note.1);
    let kept: Vec<&Note> = notes_before.iter().filter(theirs).collect();
    let now: Vec<&Note> = notes_after.iter().filter(theirs).collect();
    assert_eq!(
        kept, now,
        "{case}: {caller} changed notes of other owners' items"
    );
}

/// A read: the stranger gets none of another owner's rows, the owner gets the target and only
/// their own rows; neither changes a table.
pub async fn reads<DB, F, Fut>(case: &str, world: World<DB>, handler: F)
where
    DB: Dump,
    F: Fn(Guard<DB>, i64) -> Fut,
    Fut: Future<Output = Result<Vec<Option<i64>>, guarded::Error>>,
{
    reads_as(case, STRANGER, world, handler).await;
}

/// `reads` with the given stranger.
pub async fn reads_as<DB, F, Fut>(case: &str, stranger: &str, world: World<DB>, handler: F)
where
    DB: Dump,
    F: Fn(Guard<DB>, i64) -> Fut,
    Fut: Future<Output = Result<Vec<Option<i64>>, guarded::Error>>,
{
    let before = world.dump().await;
    let got = handler(guard(&world.pool, stranger), world.target)
        .await
        .unwrap_or_else(|e| panic!("{case}: the stranger's read failed: {e:?}"));
    // A NULL (an outer join's missing side, an empty scalar subquery) reads nothing.
    let got: Vec<i64> = got.into_iter().flatten().collect();
    let theirs = owned_by(&before.0, stranger);
    assert!(
        got.iter().all(|id| theirs.contains(id)),
        "{case}: the stranger {stranger:?} read {got:?}; theirs are {theirs:?}"
    );
    let got = handler(guard(&world.pool, OWNER), world.target)
        .await
        .unwrap_or_else(|e| panic!("{case}: the owner's read failed: {e:?}"));
    let got: Vec<i64> = got.into_iter().flatten().collect();
    let mine = owned_by(&before.0, OWNER);
    assert!(
        got.contains(&world.target) && got.iter().all(|id| mine.contains(id)),
        "{case}: the owner read {got:?}; theirs are {mine:?}, the target {}",
        world.target
    );
    assert_eq!(world.dump().await, before, "{case}: a read changed a table");
}

/// A write: the stranger changes none of another owner's rows (a denial is fine, any other
/// error is not); the owner's call succeeds, changes only their own rows, and leaves the target
/// deleted, retitled `new...`, or next to a new `new...` row of theirs, or changes a note.
/// `returned` reads the item ids a RETURNING gave back, checked like a read.
pub async fn writes<DB, F, Fut, T>(
    case: &str,
    world: World<DB>,
    handler: F,
    returned: fn(T) -> Vec<i64>,
) where
    DB: Dump,
    F: Fn(Guard<DB>, i64) -> Fut,
    Fut: Future<Output = Result<T, guarded::Error>>,
{
    writes_as(case, STRANGER, world, handler, returned).await;
}

/// `writes` with the given stranger.
pub async fn writes_as<DB, F, Fut, T>(
    case: &str,
    stranger: &str,
    world: World<DB>,
    handler: F,
    returned: fn(T) -> Vec<i64>,
) where
    DB: Dump,
    F: Fn(Guard<DB>, i64) -> Fut,
    Fut: Future<Output = Result<T, guarded::Error>>,
{
    let before = world.dump().await;
    let ids = match handler(guard(&world.pool, stranger), world.target).await {
        Ok(out) => returned(out),
        Err(guarded::Error::Denied(_)) => Vec::new(),
        Err(e) => panic!("{case}: the stranger's write failed: {e:?}"),
    };
    let after = world.dump().await;
    assert_only_own_rows_changed(case, stranger, &before, &after);
    // RETURNING may name rows the stranger deleted or created, and nothing else.
    let theirs = owned_by(&before.0, stranger);
    let theirs_now = owned_by(&after.0, stranger);
    assert!(
        ids.iter()
            .all(|id| theirs.contains(id) || theirs_now.contains(id)),
        "{case}: the stranger {stranger:?} got back {ids:?}; theirs are {theirs_now:?}"
    );

    let before = after;
    if let Err(e) = handler(guard(&world.pool, OWNER), world.target).await {
        panic!("{case}: the owner's write failed: {e:?}");
    }
    let after = world.dump().await;
    assert_only_own_rows_changed(case, OWNER, &before, &after);
    let target = after.0.iter().find(|i| i.0 == world.target);
    let fresh = after
        .0
        .iter()
        .any(|i| i.2 == OWNER && i.1.starts_with("new") && !before.0.contains(i));
    let done = match target {
        None => true,
        Some((_, title, _)) => title.starts_with("new") || fresh || after.1 != before.1,
    };
    assert!(
        done,
        "{case}: the owner's write did not happen\nbefore: {before:?}\nafter: {after:?}"
    );
}

/// One guarded read per case: `name(id) "SQL" [.bind(...)...]`, the fn binding what the case
/// says and returning the item ids it fetched.
macro_rules! reads {
    ($db:ident; $($(#[$doc:meta])* $name:ident($id:ident) $sql:tt [$($chain:tt)*];)*) => {$(
        $(#[$doc])*
        #[tokio::test]
        async fn $name() {
            #[guarded::guarded(owner = "items.owner_id")]
            async fn handler(
                mut guard: guarded::Guard<sqlx::$db>,
                $id: i64,
            ) -> Result<Vec<Option<i64>>, guarded::Error> {
                let ids: Vec<Option<i64>> = sqlx::query_scalar($sql)
                    $($chain)*
                    .fetch_all(&mut guard)
                    .await?;
                Ok(ids)
            }
            let Some(world) = $crate::soundness::harness::World::<sqlx::$db>::new().await else { return };
            $crate::soundness::harness::reads(stringify!($name), world, handler).await;
        }
    )*};
}

/// One guarded write per case: `name(id) "SQL" [.bind(...)...]`, executed; `audit` may be
/// written.
macro_rules! writes {
    ($db:ident; $($(#[$doc:meta])* $name:ident($id:ident) $sql:tt [$($chain:tt)*];)*) => {$(
        $(#[$doc])*
        #[tokio::test]
        async fn $name() {
            #[guarded::guarded(owner = "items.owner_id", unguarded = "audit")]
            async fn handler(
                mut guard: guarded::Guard<sqlx::$db>,
                $id: i64,
            ) -> Result<u64, guarded::Error> {
                let done = sqlx::query($sql)
                    $($chain)*
                    .execute(&mut guard)
                    .await?;
                Ok(done.rows_affected())
            }
            let Some(world) = $crate::soundness::harness::World::<sqlx::$db>::new().await else { return };
            $crate::soundness::harness::writes(stringify!($name), world, handler, |_| Vec::new()).await;
        }
    )*};
}

/// A write whose RETURNING rows are fetched: `name(id) "SQL" [...]`, as for `writes!`.
macro_rules! returning {
    ($db:ident; $($(#[$doc:meta])* $name:ident($id:ident) $sql:tt [$($chain:tt)*];)*) => {$(
        $(#[$doc])*
        #[tokio::test]
        async fn $name() {
            #[guarded::guarded(owner = "items.owner_id", unguarded = "audit")]
            async fn handler(
                mut guard: guarded::Guard<sqlx::$db>,
                $id: i64,
            ) -> Result<Vec<Option<i64>>, guarded::Error> {
                let ids: Vec<Option<i64>> = sqlx::query_scalar($sql)
                    $($chain)*
                    .fetch_all(&mut guard)
                    .await?;
                Ok(ids)
            }
            let Some(world) = $crate::soundness::harness::World::<sqlx::$db>::new().await else { return };
            let returned = |ids: Vec<Option<i64>>| ids.into_iter().flatten().collect();
            $crate::soundness::harness::writes(stringify!($name), world, handler, returned).await;
        }
    )*};
}

/// The checks themselves must fail on an unguarded statement: these run one on the pool,
/// bypassing the guard, and expect the check to panic.
mod baseline {
    use sqlx::Sqlite;

    use super::World;

    #[tokio::test]
    #[should_panic(expected = "the stranger \"mallory\" read")]
    async fn an_unguarded_read_is_caught() {
        let world = World::<Sqlite>::new()
            .await
            .expect("SQLite needs no server");
        let pool = world.pool.clone();
        let handler = move |_guard, id: i64| {
            let pool = pool.clone();
            async move {
                let ids: Vec<Option<i64>> = sqlx::query_scalar("SELECT id FROM items WHERE id = ?")
                    .bind(id)
                    .fetch_all(&pool)
                    .await?;
                Ok(ids)
            }
        };
        super::reads("baseline", world, handler).await;
    }

    #[tokio::test]
    #[should_panic(expected = "changed or deleted")]
    async fn an_unguarded_write_is_caught() {
        let world = World::<Sqlite>::new()
            .await
            .expect("SQLite needs no server");
        let pool = world.pool.clone();
        let handler = move |_guard, id: i64| {
            let pool = pool.clone();
            async move {
                let done = sqlx::query("UPDATE items SET title = 'new' WHERE id = ?")
                    .bind(id)
                    .execute(&pool)
                    .await?;
                Ok::<_, guarded::Error>(done.rows_affected())
            }
        };
        super::writes("baseline", world, handler, |_| Vec::new()).await;
    }
}
