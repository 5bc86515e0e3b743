//! The tables, created at start when they are missing (the one place the backends' SQL
//! differs), and the two organisations the server starts with.

use std::error::Error;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, AssertSqlSafe, Executor};

const SQLITE: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS members (
        org_id  TEXT NOT NULL,
        user_id TEXT NOT NULL,
        role    TEXT NOT NULL DEFAULT 'member',
        PRIMARY KEY (org_id, user_id)
    )",
    "CREATE TABLE IF NOT EXISTS notes (
        id       INTEGER PRIMARY KEY,
        org_id   TEXT    NOT NULL,
        owner_id TEXT    NOT NULL,
        title    TEXT    NOT NULL,
        version  BIGINT  NOT NULL DEFAULT 1,
        archived BOOLEAN NOT NULL DEFAULT FALSE
    )",
    "CREATE INDEX IF NOT EXISTS notes_org ON notes (org_id)",
    "CREATE TABLE IF NOT EXISTS revoked_tokens (
        jti        TEXT   PRIMARY KEY,
        expires_at BIGINT NOT NULL
    )",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS members (
        org_id  TEXT NOT NULL,
        user_id TEXT NOT NULL,
        role    TEXT NOT NULL DEFAULT 'member',
        PRIMARY KEY (org_id, user_id)
    )",
    "CREATE TABLE IF NOT EXISTS notes (
        id       BIGSERIAL PRIMARY KEY,
        org_id   TEXT    NOT NULL,
        owner_id TEXT    NOT NULL,
        title    TEXT    NOT NULL,
        version  BIGINT  NOT NULL DEFAULT 1,
        archived BOOLEAN NOT NULL DEFAULT FALSE
    )",
    "CREATE INDEX IF NOT EXISTS notes_org ON notes (org_id)",
    "CREATE TABLE IF NOT EXISTS revoked_tokens (
        jti        TEXT   PRIMARY KEY,
        expires_at BIGINT NOT NULL
    )",
];

// Organisations, users and token ids compare byte for byte (`utf8mb4_bin`), as on the other
// backends: under MySQL's default collation `ACME` would equal `acme`.
const MYSQL: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS members (
        org_id  VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        user_id VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        role    VARCHAR(20)  NOT NULL DEFAULT 'member',
        PRIMARY KEY (org_id, user_id)
    ) ENGINE = InnoDB",
    "CREATE TABLE IF NOT EXISTS notes (
        id       BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
        org_id   VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        owner_id VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        title    VARCHAR(200) NOT NULL,
        version  BIGINT       NOT NULL DEFAULT 1,
        archived BOOLEAN      NOT NULL DEFAULT FALSE,
        INDEX notes_org (org_id)
    ) ENGINE = InnoDB",
    "CREATE TABLE IF NOT EXISTS revoked_tokens (
        jti        VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY,
        expires_at BIGINT NOT NULL
    ) ENGINE = InnoDB",
];

/// Who belongs where when the server starts: `(organisation, user, role)`. Dana belongs to
/// both organisations, so one person holds tokens for two tenants.
pub const MEMBERS: &[(&str, &str, &str)] = &[
    ("acme", "alice", "admin"),
    ("acme", "bob", "member"),
    ("acme", "dana", "member"),
    ("globex", "carol", "admin"),
    ("globex", "dana", "member"),
];

/// A pool on the database `url` names, its tables created, [`MEMBERS`] added where missing,
/// and the revocations of tokens that have expired forgotten (an expired token is refused
/// anyway).
pub async fn connect(url: &str) -> Result<AnyPool, Box<dyn Error>> {
    sqlx::any::install_default_drivers();
    let scheme = url.split(':').next().unwrap_or_default().to_owned();
    let sqlite = scheme == "sqlite";
    let pool = AnyPoolOptions::new()
        .after_connect(move |conn, _| {
            Box::pin(async move {
                // Readers do not wait on the writer (sqlx's SQLite busy timeout is 5 s).
                if sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                }
                Ok(())
            })
        })
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await?;
    create(&pool, &scheme).await?;
    seed(&pool).await?;
    let now = jsonwebtoken::get_current_timestamp();
    pool.execute(AssertSqlSafe(format!(
        "DELETE FROM revoked_tokens WHERE expires_at < {now}"
    )))
    .await?;
    Ok(pool)
}

/// Creates the tables in the database of `scheme` (the `DATABASE_URL`'s).
async fn create(pool: &AnyPool, scheme: &str) -> Result<(), Box<dyn Error>> {
    let statements = match scheme {
        "sqlite" => SQLITE,
        "postgres" | "postgresql" => POSTGRES,
        "mysql" | "mariadb" => MYSQL,
        _ => return Err(format!("DATABASE_URL: unknown scheme {scheme:?}").into()),
    };
    for statement in statements {
        pool.execute(*statement).await?;
    }
    Ok(())
}

/// Adds each of [`MEMBERS`] that is missing; a role changed since is left as it is.
async fn seed(pool: &AnyPool) -> Result<(), Box<dyn Error>> {
    for (org, user, role) in MEMBERS {
        // Constants of this file, not input: written into the SQL, so that one statement
        // serves every backend's placeholders.
        pool.execute(AssertSqlSafe(format!(
            "INSERT INTO members (org_id, user_id, role) SELECT '{org}', '{user}', '{role}' \
             WHERE NOT EXISTS (SELECT 1 FROM members WHERE org_id = '{org}' AND user_id = '{user}')"
        )))
        .await?;
    }
    Ok(())
}
