//! The demo's one table, created at start when it is missing.

use sqlx::{Executor, MySqlPool, PgPool, SqlitePool};

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

pub async fn sqlite(pool: &SqlitePool) -> sqlx::Result<()> {
    pool.execute(SQLITE).await.map(drop)
}

pub async fn postgres(pool: &PgPool) -> sqlx::Result<()> {
    pool.execute(POSTGRES).await.map(drop)
}

pub async fn mysql(pool: &MySqlPool) -> sqlx::Result<()> {
    pool.execute(MYSQL).await.map(drop)
}
