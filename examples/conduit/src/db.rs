//! The database: one pool for SQLite, PostgreSQL or MySQL/MariaDB, its tables, and the text of
//! the statements that run outside `#[guarded]` fns.

use std::error::Error;
use std::fmt::Write as _;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, AssertSqlSafe, Executor};

/// The pool and which database it talks to.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    postgres: bool,
}

impl Db {
    /// Connects to the database `url` names and creates the tables that are missing.
    pub async fn connect(url: &str) -> Result<Self, Box<dyn Error>> {
        sqlx::any::install_default_drivers();
        let scheme = url.split(':').next().unwrap_or_default().to_owned();
        let portable = |id: &str| PORTABLE.iter().map(|t| t.replace("{id}", id)).collect();
        let tables: Vec<String> = match scheme.as_str() {
            "sqlite" => portable("INTEGER PRIMARY KEY"),
            "postgres" | "postgresql" => portable("BIGSERIAL PRIMARY KEY"),
            "mysql" | "mariadb" => MYSQL.iter().map(|t| (*t).to_owned()).collect(),
            _ => return Err(format!("DATABASE_URL: unknown scheme {scheme:?}").into()),
        };
        let sqlite = scheme == "sqlite";
        let pool = AnyPoolOptions::new()
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // Deleting an article deletes its comments and favorites (SQLite
                        // enforces foreign keys per connection, when asked); readers do not
                        // wait on the writer.
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                    }
                    Ok(())
                })
            })
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        for table in tables {
            pool.execute(AssertSqlSafe(table)).await?;
        }
        let db = Self {
            pool,
            postgres: scheme.starts_with("postgres"),
        };
        // Revoked tokens that have expired since are refused anyway.
        sqlx::query(db.sql("DELETE FROM revoked_tokens WHERE expires_at < ?"))
            .bind(now())
            .execute(&db.pool)
            .await?;
        Ok(db)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// `sql`, written with `?` placeholders, as this database reads it (`$1, $2, ...` on
    /// PostgreSQL). `#[guarded]` does this for the statements it guards; these are the
    /// public reads and the sign-in routes, which run without a guard.
    pub fn sql(&self, sql: &'static str) -> AssertSqlSafe<String> {
        if !self.postgres {
            return AssertSqlSafe(sql.to_owned());
        }
        let mut n = 0;
        AssertSqlSafe(sql.chars().fold(String::new(), |mut out, c| {
            if c == '?' {
                n += 1;
                let _ = write!(out, "${n}");
            } else {
                out.push(c);
            }
            out
        }))
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX)
}

/// `bytes` random bytes, hex-encoded.
pub fn random_hex(bytes: usize) -> Result<String, Box<dyn Error>> {
    let mut buf = vec![0; bytes];
    getrandom::fill(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
    Ok(buf.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}

/// `url` without its user and password, for the log.
pub fn without_credentials(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://{}", &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// The tables on SQLite and PostgreSQL, which differ in how an id is generated only.
const PORTABLE: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS users (
        username      TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS articles (
        id        {id},
        slug      TEXT NOT NULL UNIQUE,
        title     TEXT NOT NULL,
        body      TEXT NOT NULL,
        author_id TEXT NOT NULL REFERENCES users (username)
    )",
    "CREATE INDEX IF NOT EXISTS articles_author ON articles (author_id)",
    "CREATE TABLE IF NOT EXISTS comments (
        id         {id},
        article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        author_id  TEXT   NOT NULL REFERENCES users (username),
        body       TEXT   NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS favorites (
        user_id    TEXT   NOT NULL REFERENCES users (username),
        article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, article_id)
    )",
    "CREATE TABLE IF NOT EXISTS follows (
        follower_id TEXT NOT NULL REFERENCES users (username),
        followee    TEXT NOT NULL REFERENCES users (username),
        PRIMARY KEY (follower_id, followee)
    )",
    "CREATE TABLE IF NOT EXISTS revoked_tokens (
        jti        TEXT   PRIMARY KEY,
        expires_at BIGINT NOT NULL
    )",
];

// User names compare byte for byte (`utf8mb4_bin`), as on the other backends: under MySQL's
// default collation `Alice` would be `alice`.
const MYSQL: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS users (
        username      VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY,
        password_hash VARCHAR(200) NOT NULL
    ) ENGINE = InnoDB",
    "CREATE TABLE IF NOT EXISTS articles (
        id        BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        slug      VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL UNIQUE,
        title     VARCHAR(200) NOT NULL,
        body      TEXT NOT NULL,
        author_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        INDEX articles_author (author_id),
        FOREIGN KEY (author_id) REFERENCES users (username)
    ) ENGINE = InnoDB",
    "CREATE TABLE IF NOT EXISTS comments (
        id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        article_id BIGINT NOT NULL,
        author_id  VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        body       TEXT NOT NULL,
        FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE CASCADE,
        FOREIGN KEY (author_id) REFERENCES users (username)
    ) ENGINE = InnoDB",
    "CREATE TABLE IF NOT EXISTS favorites (
        user_id    VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        article_id BIGINT NOT NULL,
        PRIMARY KEY (user_id, article_id),
        FOREIGN KEY (user_id) REFERENCES users (username),
        FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE CASCADE
    ) ENGINE = InnoDB",
    "CREATE TABLE IF NOT EXISTS follows (
        follower_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        followee    VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        PRIMARY KEY (follower_id, followee),
        FOREIGN KEY (follower_id) REFERENCES users (username),
        FOREIGN KEY (followee) REFERENCES users (username)
    ) ENGINE = InnoDB",
    "CREATE TABLE IF NOT EXISTS revoked_tokens (
        jti        VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY,
        expires_at BIGINT NOT NULL
    ) ENGINE = InnoDB",
];
