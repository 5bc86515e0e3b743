//! The demo's tables, created at start when they are missing: the one place the backends'
//! SQL differs.

use sqlx::{AnyPool, Executor};

const SQLITE: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS items (
        id             INTEGER PRIMARY KEY,
        title          TEXT    NOT NULL,
        owner_id       TEXT    NOT NULL,
        version        BIGINT  NOT NULL DEFAULT 1,
        archived       BOOLEAN NOT NULL DEFAULT FALSE,
        shares_version BIGINT  NOT NULL DEFAULT 0
    )",
    "CREATE INDEX IF NOT EXISTS items_owner ON items (owner_id)",
    "CREATE TABLE IF NOT EXISTS shares (
        item_id   BIGINT  NOT NULL,
        user_id   TEXT    NOT NULL,
        can_write BOOLEAN NOT NULL,
        PRIMARY KEY (item_id, user_id)
    )",
    "CREATE TABLE IF NOT EXISTS users (
        id                 TEXT PRIMARY KEY,
        role               TEXT NOT NULL DEFAULT 'user',
        tokens_valid_after BIGINT
    )",
    "CREATE TABLE IF NOT EXISTS revoked_tokens (
        jti        TEXT   PRIMARY KEY,
        expires_at BIGINT NOT NULL
    )",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS items (
        id             BIGSERIAL PRIMARY KEY,
        title          TEXT    NOT NULL,
        owner_id       TEXT    NOT NULL,
        version        BIGINT  NOT NULL DEFAULT 1,
        archived       BOOLEAN NOT NULL DEFAULT FALSE,
        shares_version BIGINT  NOT NULL DEFAULT 0
    )",
    "CREATE INDEX IF NOT EXISTS items_owner ON items (owner_id)",
    "CREATE TABLE IF NOT EXISTS shares (
        item_id   BIGINT  NOT NULL,
        user_id   TEXT    NOT NULL,
        can_write BOOLEAN NOT NULL,
        PRIMARY KEY (item_id, user_id)
    )",
    "CREATE TABLE IF NOT EXISTS users (
        id                 TEXT PRIMARY KEY,
        role               TEXT NOT NULL DEFAULT 'user',
        tokens_valid_after BIGINT
    )",
    "CREATE TABLE IF NOT EXISTS revoked_tokens (
        jti        TEXT   PRIMARY KEY,
        expires_at BIGINT NOT NULL
    )",
];

// User names and token ids compare byte for byte (`utf8mb4_bin`), as on the other backends:
// under MySQL's default collation `Alice` would equal `alice`.
const MYSQL: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS items (
        id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
        title          VARCHAR(200) NOT NULL,
        owner_id       VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        version        BIGINT       NOT NULL DEFAULT 1,
        archived       BOOLEAN      NOT NULL DEFAULT FALSE,
        shares_version BIGINT       NOT NULL DEFAULT 0,
        INDEX items_owner (owner_id)
    ) ENGINE = InnoDB",
    "CREATE TABLE IF NOT EXISTS shares (
        item_id   BIGINT       NOT NULL,
        user_id   VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        can_write BOOLEAN      NOT NULL,
        PRIMARY KEY (item_id, user_id)
    ) ENGINE = InnoDB",
    "CREATE TABLE IF NOT EXISTS users (
        id                 VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY,
        role               VARCHAR(20)  NOT NULL DEFAULT 'user',
        tokens_valid_after BIGINT
    ) ENGINE = InnoDB",
    "CREATE TABLE IF NOT EXISTS revoked_tokens (
        jti        VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY,
        expires_at BIGINT NOT NULL
    ) ENGINE = InnoDB",
];

/// Creates the tables in the database of `scheme` (the `DATABASE_URL`'s).
pub async fn create(pool: &AnyPool, scheme: &str) -> Result<(), Box<dyn std::error::Error>> {
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
