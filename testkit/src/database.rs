//! A fresh database per test on each backend, dropped when the test ends, pass or fail
//! ([`Database`] held by the test, or given to [`until_test_end`]):
//! SQLite always, PostgreSQL and MariaDB when `GUARDED_TEST_PG` / `GUARDED_TEST_MYSQL` hold
//! their URLs.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Any, AnyPool, AssertSqlSafe, Executor};

/// A database of this test's own; [`Drop`] removes it.
pub struct Database {
    /// Its URL, for the app's pool.
    pub url: String,
    gone: Cleanup,
}

enum Cleanup {
    /// The SQLite file, with its WAL, shared-memory and rollback-journal files.
    File(PathBuf),
    /// A schema or database on the server at `admin`.
    Server {
        server: Server,
        admin: String,
        name: String,
    },
}

#[derive(Clone, Copy)]
enum Server {
    /// A PostgreSQL schema, its sessions marked with its name as their application name.
    Postgres,
    /// A MariaDB database.
    MySql,
}

impl Drop for Database {
    fn drop(&mut self) {
        match &self.gone {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut name = path.clone().into_os_string();
                    name.push(suffix);
                    let _ = std::fs::remove_file(name);
                }
            }
            Cleanup::Server {
                server,
                admin,
                name,
            } => {
                // Also while a failed test unwinds, and from inside a test's runtime: a thread
                // and a runtime of its own.
                let (server, admin, name) = (*server, admin.clone(), name.clone());
                let dropped =
                    std::thread::spawn(move || block_on(drop_on(server, &admin, &name))).join();
                if !matches!(dropped, Ok(Ok(()))) {
                    eprintln!("a test database was not dropped; a run an hour later drops it");
                }
            }
        }
    }
}

impl Database {
    /// A fresh database on `backend` (`sqlite`, `postgres`, `mysql`), or `None` when its
    /// server's variable is unset.
    pub fn fresh(backend: &str) -> Option<Self> {
        let name = unique();
        match backend {
            "sqlite" => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                Some(Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    gone: Cleanup::File(path),
                })
            }
            "postgres" => {
                let admin = server("GUARDED_TEST_PG", Server::Postgres, &name)?;
                let separator = if admin.contains('?') { '&' } else { '?' };
                // The application name marks the test's sessions, for the drop to end them.
                Some(Self {
                    url: format!(
                        "{admin}{separator}options[search_path]={name}&application_name={name}"
                    ),
                    gone: Cleanup::Server {
                        server: Server::Postgres,
                        admin,
                        name,
                    },
                })
            }
            _ => {
                let admin = server("GUARDED_TEST_MYSQL", Server::MySql, &name)?;
                let base = admin.split('?').next().unwrap_or(&admin);
                let authority = base.find("://").map_or(0, |i| i + 3);
                let end = base[authority..]
                    .find('/')
                    .map_or(base.len(), |i| authority + i);
                Some(Self {
                    url: format!("{}/{name}", &base[..end]),
                    gone: Cleanup::Server {
                        server: Server::MySql,
                        admin,
                        name,
                    },
                })
            }
        }
    }
}

/// The prefix of every name [`unique`] makes.
const PREFIX: &str = "guarded_";

/// `guarded_<secs>_<pid>_n<k>`: the time it was made, so that a later run drops it once it is
/// an hour old should this process die before its [`Drop`].
fn unique() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{PREFIX}{}_{}_n{}",
        now(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// Whether a name made by [`unique`] is more than an hour old: left by a run that was killed.
fn is_stale(name: &str) -> bool {
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.split('_').next())
        .and_then(|s| s.parse::<u64>().ok())
        .is_some_and(|secs| secs + 3600 < now())
}

/// The URL in `var`, after making `name` on its server; `None` when `var` is unset. On a
/// thread of its own, so a test may call it from inside its runtime.
fn server(var: &str, server: Server, name: &str) -> Option<String> {
    let url = std::env::var(var).ok()?;
    let (var, name, at) = (var.to_owned(), name.to_owned(), url.clone());
    std::thread::spawn(move || create(&var, server, &name, &at))
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    Some(url)
}

/// Makes `name` on the server at `url`, after dropping what earlier runs left there.
fn create(var: &str, server: Server, name: &str, url: &str) {
    block_on(async {
        let pool = AnyPool::connect(url)
            .await
            .unwrap_or_else(|e| panic!("{var} is set, but its server does not answer: {e}"));
        let (list, create) = match server {
            Server::Postgres => (
                "SELECT CAST(nspname AS TEXT) FROM pg_namespace WHERE nspname LIKE 'guarded\\_%'",
                format!("CREATE SCHEMA {name}"),
            ),
            Server::MySql => (
                "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata \
                 WHERE schema_name LIKE 'guarded\\_%'",
                format!("CREATE DATABASE {name}"),
            ),
        };
        let names: Vec<String> = sqlx::query_scalar::<Any, String>(list)
            .fetch_all(&pool)
            .await
            .unwrap_or_else(|e| panic!("{list}: {e}"));
        for stale in names.iter().filter(|n| is_stale(n)) {
            // Another run may drop it at the same moment; either way it is gone.
            let _ = pool
                .execute(AssertSqlSafe(drop_statement(server, stale)))
                .await;
        }
        pool.execute(AssertSqlSafe(create.clone()))
            .await
            .unwrap_or_else(|e| panic!("{create}: {e}"));
        pool.close().await;
    });
}

fn drop_statement(server: Server, name: &str) -> String {
    match server {
        Server::Postgres => format!("DROP SCHEMA IF EXISTS {name} CASCADE"),
        Server::MySql => format!("DROP DATABASE IF EXISTS {name}"),
    }
}

/// Ends the sessions still on `name` (a transaction a failed test left open would hold its
/// locks, and the drop would wait for it) and drops it.
async fn drop_on(server: Server, admin: &str, name: &str) -> Result<(), sqlx::Error> {
    let pool = AnyPool::connect(admin).await?;
    let sessions = match server {
        Server::Postgres => vec![format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = '{name}'"
        )],
        Server::MySql => sqlx::query_scalar::<Any, i64>(AssertSqlSafe(format!(
            "SELECT CAST(id AS SIGNED) FROM information_schema.processlist WHERE db = '{name}'"
        )))
        .fetch_all(&pool)
        .await?
        .into_iter()
        .map(|id| format!("KILL {id}"))
        .collect(),
    };
    for statement in sessions {
        // A session may end by itself before its KILL: what matters is the DROP.
        let _ = pool.execute(AssertSqlSafe(statement)).await;
    }
    pool.execute(AssertSqlSafe(drop_statement(server, name)))
        .await?;
    pool.close().await;
    Ok(())
}

/// Keeps `value` (a [`Database`]) until the current test ends, pass or fail: for an async
/// test that cannot hold it in a local of its own. A task on the test's runtime holds it and
/// never finishes; a `#[tokio::test]` runtime lives as long as its test and drops its tasks
/// when it shuts down, after the body returned or unwound. Call it inside that runtime.
pub fn until_test_end<T: Send + 'static>(value: T) {
    tokio::spawn(async move {
        let _kept = value;
        std::future::pending::<()>().await;
    });
}

/// Runs `future` to completion on a runtime of its own.
pub fn block_on<F: Future>(future: F) -> F::Output {
    sqlx::any::install_default_drivers();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}
