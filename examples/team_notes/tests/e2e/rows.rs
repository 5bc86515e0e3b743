//! The rows the tests check, read with plain sqlx past the API (no guard, no policy).

use sqlx::{AnyPool, AssertSqlSafe};

/// A note as stored: `(org, owner, title, version, archived)`.
pub type Stored = (String, String, String, i64, bool);

/// The note `id` as stored, or `None` when it is gone.
pub async fn note(pool: &AnyPool, id: i64) -> Option<Stored> {
    let sql = format!(
        "SELECT org_id, owner_id, title, version, CASE WHEN archived THEN 1 ELSE 0 END \
         FROM notes WHERE id = {id}"
    );
    let row: Option<(String, String, String, i64, i64)> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_optional(pool)
        .await
        .expect("read the note");
    row.map(|(org, owner, title, version, archived)| (org, owner, title, version, archived == 1))
}

/// The row [`note`] reads, spelled by a test.
pub fn stored(org: &str, owner: &str, title: &str, version: i64, archived: bool) -> Stored {
    (org.into(), owner.into(), title.into(), version, archived)
}

/// Every note as stored, `(id, org, owner, title, version, archived)` by id: what a refused
/// request must leave exactly as it was.
pub async fn all(pool: &AnyPool) -> Vec<(i64, Stored)> {
    let rows: Vec<(i64, String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT id, org_id, owner_id, title, version, CASE WHEN archived THEN 1 ELSE 0 END \
         FROM notes ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("read the notes");
    rows.into_iter()
        .map(|(id, org, owner, title, version, archived)| {
            (id, (org, owner, title, version, archived == 1))
        })
        .collect()
}

/// How many revocations hold `jti`.
pub async fn revoked(pool: &AnyPool, jti: &str) -> i64 {
    sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM revoked_tokens WHERE jti = '{jti}'"
    )))
    .fetch_one(pool)
    .await
    .expect("count revocations")
}

/// Runs one statement of the test's own (a role taken away).
pub async fn exec(pool: &AnyPool, sql: &str) {
    sqlx::query(AssertSqlSafe(sql.to_owned()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
