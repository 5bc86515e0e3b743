//! Every database a test makes is gone when the test ends, pass or fail.
//!
//! The removal is held by a task on the test's runtime that never finishes: a
//! `#[tokio::test]` runtime lives exactly as long as its test and drops its tasks when it shuts
//! down, after the test's body returned or unwound, so the removal runs then. A run killed
//! outright leaves its databases to the next run, which drops names older than an hour.

use std::path::PathBuf;

use sqlx::{AssertSqlSafe, Connection, Executor};

/// A database a test made.
pub enum Made {
    /// A SQLite file, with its `-wal` and `-shm` files.
    SqliteFile(PathBuf),
    /// A PostgreSQL schema, dropped through the server at `url`.
    PgSchema { url: String, schema: String },
    /// A MariaDB database, dropped through the server at `url`.
    MySqlDatabase { url: String, database: String },
}

/// Removes `made` when the current test ends. Must be called inside the test's runtime.
pub fn at_test_end(made: Made) {
    let removal = Removal(Some(made));
    tokio::spawn(async move {
        let _removal = removal;
        std::future::pending::<()>().await;
    });
}

struct Removal(Option<Made>);

impl Drop for Removal {
    fn drop(&mut self) {
        let Some(made) = self.0.take() else { return };
        if let Made::SqliteFile(path) = &made {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                let _ = std::fs::remove_file(file);
            }
            return;
        }
        // The runtime is shutting down: a thread of its own runs the DROP.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the clean-up");
            runtime.block_on(drop_on_server(made));
        })
        .join();
        if dropped.is_err() {
            eprintln!("a test database could not be dropped; the next run drops it");
        }
    }
}

async fn drop_on_server(made: Made) {
    let result = match made {
        Made::SqliteFile(_) => return,
        Made::PgSchema { url, schema } => {
            drop_with::<sqlx::PgConnection>(&url, format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .await
        }
        Made::MySqlDatabase { url, database } => {
            drop_with::<sqlx::MySqlConnection>(&url, format!("DROP DATABASE IF EXISTS {database}"))
                .await
        }
    };
    if let Err(e) = result {
        eprintln!("a test database could not be dropped ({e}); the next run drops it");
    }
}

async fn drop_with<C: Connection>(url: &str, statement: String) -> Result<(), sqlx::Error>
where
    for<'c> &'c mut C: Executor<'c>,
{
    let mut conn = C::connect(url).await?;
    conn.execute(AssertSqlSafe(statement)).await?;
    conn.close().await
}
