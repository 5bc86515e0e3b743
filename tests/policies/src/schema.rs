//! The suite's tables on each backend. The users named in shares and roles are compared under
//! a collation that folds case or trailing spaces, as an application's may (MariaDB's default
//! does both): a policy's comparison with a claim must still be byte for byte.

use sqlx::{AnyPool, Executor};

const SQLITE: &[&str] = &[
    "CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, owner_id TEXT NOT NULL, \
     archived BOOLEAN NOT NULL DEFAULT FALSE, version BIGINT NOT NULL DEFAULT 1)",
    "CREATE TABLE shares (item_id INTEGER NOT NULL, user_id TEXT NOT NULL COLLATE NOCASE, \
     can_write BOOLEAN NOT NULL, PRIMARY KEY (item_id, user_id))",
    "CREATE TABLE users (id TEXT PRIMARY KEY COLLATE RTRIM, role TEXT NOT NULL DEFAULT 'user', \
     tokens_valid_after BIGINT)",
    "CREATE TABLE revoked_tokens (jti TEXT PRIMARY KEY)",
    "CREATE TABLE audit (item_id BIGINT NOT NULL, note TEXT NOT NULL)",
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, team TEXT NOT NULL, owner_id TEXT NOT NULL)",
    "CREATE TABLE members (team TEXT NOT NULL, user_id TEXT NOT NULL COLLATE NOCASE, \
     moderator BOOLEAN NOT NULL)",
    "CREATE TABLE suspended_sessions (sid TEXT PRIMARY KEY)",
];

const POSTGRES: &[&str] = &[
    "CREATE COLLATION folded (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
    "CREATE TABLE items (id BIGSERIAL PRIMARY KEY, title TEXT NOT NULL, owner_id TEXT NOT NULL, \
     archived BOOLEAN NOT NULL DEFAULT FALSE, version BIGINT NOT NULL DEFAULT 1)",
    "CREATE TABLE shares (item_id BIGINT NOT NULL, user_id TEXT COLLATE folded NOT NULL, \
     can_write BOOLEAN NOT NULL, PRIMARY KEY (item_id, user_id))",
    "CREATE TABLE users (id TEXT COLLATE folded PRIMARY KEY, role TEXT NOT NULL DEFAULT 'user', \
     tokens_valid_after BIGINT)",
    "CREATE TABLE revoked_tokens (jti TEXT PRIMARY KEY)",
    "CREATE TABLE audit (item_id BIGINT NOT NULL, note TEXT NOT NULL)",
    "CREATE TABLE notes (id BIGINT PRIMARY KEY, team TEXT NOT NULL, owner_id TEXT NOT NULL)",
    "CREATE TABLE members (team TEXT NOT NULL, user_id TEXT COLLATE folded NOT NULL, \
     moderator BOOLEAN NOT NULL)",
    "CREATE TABLE suspended_sessions (sid TEXT PRIMARY KEY)",
];

const MYSQL: &[&str] = &[
    "CREATE TABLE items (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, \
     title VARCHAR(200) NOT NULL, owner_id VARCHAR(200) NOT NULL, \
     archived BOOLEAN NOT NULL DEFAULT FALSE, version BIGINT NOT NULL DEFAULT 1) ENGINE = InnoDB",
    "CREATE TABLE shares (item_id BIGINT NOT NULL, user_id VARCHAR(200) NOT NULL, \
     can_write BOOLEAN NOT NULL, PRIMARY KEY (item_id, user_id)) ENGINE = InnoDB",
    "CREATE TABLE users (id VARCHAR(200) PRIMARY KEY, role VARCHAR(20) NOT NULL DEFAULT 'user', \
     tokens_valid_after BIGINT) ENGINE = InnoDB",
    "CREATE TABLE revoked_tokens (jti VARCHAR(200) PRIMARY KEY) ENGINE = InnoDB",
    "CREATE TABLE audit (item_id BIGINT NOT NULL, note TEXT NOT NULL) ENGINE = InnoDB",
    "CREATE TABLE notes (id BIGINT PRIMARY KEY, team VARCHAR(200) NOT NULL, \
     owner_id VARCHAR(200) NOT NULL) ENGINE = InnoDB",
    "CREATE TABLE members (team VARCHAR(200) NOT NULL, user_id VARCHAR(200) NOT NULL, \
     moderator BOOLEAN NOT NULL) ENGINE = InnoDB",
    "CREATE TABLE suspended_sessions (sid VARCHAR(200) PRIMARY KEY) ENGINE = InnoDB",
];

/// Creates the tables on the database of `scheme` (a URL's: `sqlite`, `postgres`, `mysql`).
pub async fn create(pool: &AnyPool, scheme: &str) -> Result<(), sqlx::Error> {
    let statements = match scheme {
        "sqlite" => SQLITE,
        "postgres" | "postgresql" => POSTGRES,
        _ => MYSQL,
    };
    for statement in statements {
        pool.execute(*statement).await?;
    }
    Ok(())
}
