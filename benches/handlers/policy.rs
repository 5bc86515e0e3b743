//! A policy's cost: `tests/policies`' `rename`, whose statement carries owner-or-share, both
//! revocation conditions and the `archived` state (see that package's `guarded.toml`), against
//! the same statement
//! written by hand and against the same checks made as separate queries in a transaction
//! that locks the row; and the same fn as the share and revocation tables grow.
//!
//! Every call renames an item owned by someone else and shared with the subject for writing,
//! so the grant's sub-select decides; the token is not revoked, and the revocation table
//! holds other tokens. Through `Any` pools, as the package's fns run.

use guarded::Guard;
use guarded_testkit::Database;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor};

use crate::timing::Alt;
use crate::{ITEMS, SUBJECT, TITLE, alt, keys};

/// The token's id and issue time.
const JTI: &str = "bench-token";
const IAT: i64 = 1_800_000_000;

/// A database of the policy package's schema, on SQLite or PostgreSQL.
pub(crate) struct Db {
    pub(crate) pool: AnyPool,
    backend: &'static str,
    /// Removed when the bench is done with it, or should it panic.
    _database: Database,
}

impl Db {
    /// A fresh database on `backend` (`sqlite` or `postgres`) with `ITEMS` items of `owner`
    /// shared with the subject for writing, and `filler` other rows in `shares` and
    /// `revoked_tokens`.
    pub(crate) async fn create(backend: &'static str, filler: u32) -> Self {
        sqlx::any::install_default_drivers();
        let database = Database::fresh(backend).expect("the server's variable is set");
        let url = database.url.clone();
        let sqlite = backend == "sqlite";
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // WAL with `synchronous = NORMAL`, as the SQLite section runs.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .expect("the benchmark database");
        guarded_policies::schema::create(&pool, backend)
            .await
            .expect("schema");
        let db = Self {
            pool,
            backend,
            _database: database,
        };
        for id in 1..=ITEMS {
            db.exec(format!(
                "INSERT INTO items (id, title, owner_id) VALUES ({id}, 'seed', 'owner')"
            ))
            .await;
            db.exec(format!(
                "INSERT INTO shares VALUES ({id}, '{SUBJECT}', TRUE)"
            ))
            .await;
        }
        db.exec(format!(
            "INSERT INTO users (id, tokens_valid_after) VALUES ('{SUBJECT}', {})",
            IAT - 1
        ))
        .await;
        db.fill(filler).await;
        db
    }

    async fn exec(&self, sql: String) {
        self.pool
            .execute(AssertSqlSafe(sql.clone()))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// `n` other shares and `n` revoked tokens, none of them the subject's.
    async fn fill(&self, n: u32) {
        let (shares, revoked) = if self.backend == "sqlite" {
            (
                format!(
                    "INSERT INTO shares WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 \
                     FROM k WHERE i < {n}) SELECT 1000 + i, 'u' || i, FALSE FROM k"
                ),
                format!(
                    "INSERT INTO revoked_tokens WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL \
                     SELECT i + 1 FROM k WHERE i < {n}) SELECT 'j' || i FROM k"
                ),
            )
        } else {
            (
                format!(
                    "INSERT INTO shares SELECT 1000 + i, 'u' || i, FALSE FROM \
                     generate_series(1, {n}) AS i"
                ),
                format!(
                    "INSERT INTO revoked_tokens SELECT 'j' || i FROM generate_series(1, {n}) AS i"
                ),
            )
        };
        self.exec(shares).await;
        self.exec(revoked).await;
        let analyze = if self.backend == "sqlite" {
            "ANALYZE"
        } else {
            "ANALYZE shares"
        };
        self.exec(analyze.into()).await;
    }

    /// The guarded fn, for the growth section: `key` tells the table sizes apart. The guard
    /// is made once and cloned per call, as the other sections do.
    pub(crate) fn guarded(&self, key: &'static str, label: &'static str) -> Alt {
        let guard = guard(&self.pool);
        alt(key, label, move |id| {
            guarded_policies::rename(guard.clone(), id, TITLE)
        })
    }

    /// The policy's alternatives.
    pub(crate) fn alts(&self) -> Vec<Alt> {
        let postgres = self.backend == "postgres";
        let hand_sql = if postgres {
            "UPDATE items SET title = $1 WHERE id = $2 AND (owner_id = $3 OR EXISTS (SELECT 1 \
             FROM shares s WHERE s.item_id = items.id AND s.user_id = $3 AND s.can_write)) AND \
             NOT archived AND NOT EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = $4) AND \
             NOT EXISTS (SELECT 1 FROM users c WHERE c.id = $3 AND c.tokens_valid_after > $5)"
        } else {
            // Byte for byte, as the guarded statement compares: the plain comparison serves
            // the index of a column under a folding collation (`users.id` is `RTRIM`), the
            // one under `BINARY` decides.
            "UPDATE items SET title = ?1 WHERE id = ?2 AND ((owner_id = ?3 AND owner_id = ?3 \
             COLLATE BINARY) OR EXISTS (SELECT 1 FROM shares s WHERE s.item_id = items.id AND \
             s.user_id = ?3 AND s.user_id = ?3 COLLATE BINARY AND s.can_write)) AND NOT \
             archived AND NOT EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = ?4 AND \
             r.jti = ?4 COLLATE BINARY) AND NOT EXISTS (SELECT 1 FROM users c WHERE c.id = ?3 \
             AND c.id = ?3 COLLATE BINARY AND c.tokens_valid_after > ?5)"
        };
        let hand = {
            let pool = self.pool.clone();
            alt(
                keys::POLICY_HAND,
                "policy, same statement by hand",
                move |id| {
                    let pool = pool.clone();
                    async move {
                        let query = sqlx::query::<Any>(hand_sql).bind(TITLE).bind(id);
                        let query = query.bind(SUBJECT).bind(JTI).bind(IAT);
                        let done = query.execute(&pool).await?;
                        assert_eq!(done.rows_affected(), 1, "the hand-written statement");
                        Ok(())
                    }
                },
            )
        };
        let lock = {
            let pool = self.pool.clone();
            alt(
                keys::POLICY_LOCK,
                "policy, checks then FOR UPDATE",
                move |id| {
                    let pool = pool.clone();
                    async move { checks_then_write(&pool, postgres, id).await }
                },
            )
        };
        vec![self.guarded(keys::POLICY, "policy, guarded"), hand, lock]
    }

    pub(crate) async fn drop_all(self) {
        // Closed before the database goes: a server drops no schema its sessions still use.
        self.pool.close().await;
    }
}

fn guard(pool: &AnyPool) -> Guard<Any> {
    let claims: guarded::Claims = serde_json::from_value(serde_json::json!({
        "sub": SUBJECT, "exp": u64::MAX / 2, "jti": JTI, "iat": IAT,
    }))
    .expect("claims");
    Guard::trusted(pool.clone(), claims)
}

/// The same decision as separate queries, the way a handler checks before it writes, made
/// exact by a transaction that locks the row (SQLite: `BEGIN IMMEDIATE`, its write lock):
/// revocation, cut-off, the row's owner and state, the share, then the write.
async fn checks_then_write(pool: &AnyPool, postgres: bool, id: i64) -> Result<(), guarded::Error> {
    let (p, lock, share_lock) = if postgres {
        (["$1", "$2"], " FOR UPDATE", " FOR SHARE")
    } else {
        (["?", "?"], "", "")
    };
    let mut tx = pool
        .begin_with(if postgres { "BEGIN" } else { "BEGIN IMMEDIATE" })
        .await?;
    let revoked = sqlx::query_scalar::<Any, i32>(AssertSqlSafe(format!(
        "SELECT 1 FROM revoked_tokens WHERE jti = {}",
        p[0]
    )))
    .bind(JTI)
    .fetch_optional(&mut *tx)
    .await?;
    assert!(revoked.is_none(), "not revoked");
    let cutoff = sqlx::query_scalar::<Any, Option<i64>>(AssertSqlSafe(format!(
        "SELECT tokens_valid_after FROM users WHERE id = {}{share_lock}",
        p[0]
    )))
    .bind(SUBJECT)
    .fetch_optional(&mut *tx)
    .await?;
    assert!(
        cutoff.flatten().is_none_or(|t| t < IAT),
        "issued after the cut-off"
    );
    let owner = sqlx::query_scalar::<Any, String>(AssertSqlSafe(format!(
        "SELECT owner_id FROM items WHERE id = {} AND NOT archived{lock}",
        p[0]
    )))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if owner != SUBJECT {
        let can_write = sqlx::query_scalar::<Any, i32>(AssertSqlSafe(format!(
            "SELECT 1 FROM shares WHERE item_id = {} AND user_id = {} AND can_write{share_lock}",
            p[0], p[1]
        )))
        .bind(id)
        .bind(SUBJECT)
        .fetch_optional(&mut *tx)
        .await?;
        assert!(can_write.is_some(), "shared for writing");
    }
    sqlx::query::<Any>(AssertSqlSafe(format!(
        "UPDATE items SET title = {} WHERE id = {}",
        p[0], p[1]
    )))
    .bind(TITLE)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
