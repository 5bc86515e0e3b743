//! The demo's one table, created at start when it is missing: the one place the backends'
//! SQL differs.

use sqlx::{AnyPool, Executor};

const SQLITE: &str = "CREATE TABLE IF NOT EXISTS items (
    id       INTEGER PRIMARY KEY,
    title    TEXT    NOT NULL,
    owner_id TEXT    NOT NULL,
    version  INTEGER NOT NULL DEFAULT 1
)";

const POSTGRES: &str = "CREATE TABLE IF NOT EXISTS items (
    id       BIGSERIAL PRIMARY KEY,
    title    TEXT   NOT NULL,
    owner_id TEXT   NOT NULL,
    version  BIGINT NOT NULL DEFAULT 1
)";

const MYSQL: &str = "CREATE TABLE IF NOT EXISTS items (
    id       BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    title    VARCHAR(200) NOT NULL,
    owner_id VARCHAR(200) NOT NULL,
    version  BIGINT       NOT NULL DEFAULT 1
) ENGINE = InnoDB";

/// Creates the table in the database of `scheme` (the `DATABASE_URL`'s).
pub async fn create(pool: &AnyPool, scheme: &str) -> Result<(), Box<dyn std::error::Error>> {
    let ddl = match scheme {
        "sqlite" => SQLITE,
        "postgres" | "postgresql" => POSTGRES,
        "mysql" | "mariadb" => MYSQL,
        _ => return Err(format!("DATABASE_URL: unknown scheme {scheme:?}").into()),
    };
    pool.execute(ddl).await?;
    Ok(())
}
