//! The suite's tables on each backend. Organisations and users are compared under collations
//! that fold case or trailing spaces, as an application's may (MariaDB's default does both):
//! the scope's comparisons with the `org` and `sub` claims must still be byte for byte.

use sqlx::{AnyPool, Executor};

const SQLITE: &[&str] = &[
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL COLLATE NOCASE, \
     owner_id TEXT NOT NULL, title TEXT NOT NULL, version BIGINT NOT NULL DEFAULT 1)",
    "CREATE TABLE labels (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL COLLATE RTRIM, \
     owner_id TEXT NOT NULL, note_id BIGINT NOT NULL, name TEXT NOT NULL)",
    "CREATE TABLE members (org_id TEXT NOT NULL COLLATE NOCASE, \
     user_id TEXT NOT NULL COLLATE NOCASE, role TEXT NOT NULL DEFAULT 'member', \
     PRIMARY KEY (org_id, user_id))",
];

const POSTGRES: &[&str] = &[
    "CREATE COLLATION folded (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
    "CREATE TABLE notes (id BIGSERIAL PRIMARY KEY, org_id TEXT COLLATE folded NOT NULL, \
     owner_id TEXT NOT NULL, title TEXT NOT NULL, version BIGINT NOT NULL DEFAULT 1)",
    "CREATE TABLE labels (id BIGSERIAL PRIMARY KEY, org_id TEXT COLLATE folded NOT NULL, \
     owner_id TEXT NOT NULL, note_id BIGINT NOT NULL, name TEXT NOT NULL)",
    "CREATE TABLE members (org_id TEXT COLLATE folded NOT NULL, \
     user_id TEXT COLLATE folded NOT NULL, role TEXT NOT NULL DEFAULT 'member', \
     PRIMARY KEY (org_id, user_id))",
];

const MYSQL: &[&str] = &[
    "CREATE TABLE notes (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, \
     org_id VARCHAR(100) NOT NULL, owner_id VARCHAR(100) NOT NULL, \
     title VARCHAR(200) NOT NULL, version BIGINT NOT NULL DEFAULT 1) ENGINE = InnoDB",
    "CREATE TABLE labels (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, \
     org_id VARCHAR(100) NOT NULL, owner_id VARCHAR(100) NOT NULL, note_id BIGINT NOT NULL, \
     name VARCHAR(200) NOT NULL) ENGINE = InnoDB",
    "CREATE TABLE members (org_id VARCHAR(100) NOT NULL, user_id VARCHAR(100) NOT NULL, \
     role VARCHAR(20) NOT NULL DEFAULT 'member', PRIMARY KEY (org_id, user_id)) ENGINE = InnoDB",
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
