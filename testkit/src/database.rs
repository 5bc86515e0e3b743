//! A fresh database per test on each backend, dropped when the test ends, pass or fail
//! ([`Database`] held by the test, or given to [`until_test_end`]):
//! SQLite always, PostgreSQL and MariaDB when `GUARDED_TEST_PG` / `GUARDED_TEST_MYSQL` hold
//! their URLs.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{AnyPool, AssertSqlSafe, Executor};

/// A database of this test's own; [`Drop`] removes it.
pub struct Database {
    /// Its URL, for the app's pool.
    pub url: String,
    gone: Cleanup,
}

enum Cleanup {
    /// The SQLite file, with its WAL and shared-memory files.
    File(PathBuf),
    /// A statement on the server at this URL (`DROP SCHEMA ...`, `DROP DATABASE ...`).
    Drop { admin: String, statement: String },
}

impl Drop for Database {
    fn drop(&mut self) {
        match &self.gone {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut name = path.clone().into_os_string();
                    name.push(suffix);
                    let _ = std::fs::remove_file(name);
                }
            }
            Cleanup::Drop { admin, statement } => {
                // Also while a failed test unwinds, and from inside a test's runtime: a thread
                // and a runtime of its own.
                let (admin, statement) = (admin.clone(), statement.clone());
                let dropped = std::thread::spawn(move || {
                    block_on(async {
                        let pool = AnyPool::connect(&admin).await?;
                        pool.execute(AssertSqlSafe(statement)).await?;
                        pool.close().await;
                        Ok::<_, sqlx::Error>(())
                    })
                })
                .join();
                if !matches!(dropped, Ok(Ok(()))) {
                    eprintln!("a test database was not dropped; a run an hour later drops it");
                }
            }
        }
    }
}

impl Database {
    /// A fresh database on `backend`, or `None` when its server's variable is unset.
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
                let admin = server("GUARDED_TEST_PG", &format!("CREATE SCHEMA {name}"))?;
                let separator = if admin.contains('?') { '&' } else { '?' };
                Some(Self {
                    url: format!("{admin}{separator}options[search_path]={name}"),
                    gone: Cleanup::Drop {
                        admin,
                        statement: format!("DROP SCHEMA IF EXISTS {name} CASCADE"),
                    },
                })
            }
            _ => {
                let admin = server("GUARDED_TEST_MYSQL", &format!("CREATE DATABASE {name}"))?;
                let base = admin.split('?').next().unwrap_or(&admin);
                let authority = base.find("://").map_or(0, |i| i + 3);
                let end = base[authority..]
                    .find('/')
                    .map_or(base.len(), |i| authority + i);
                Some(Self {
                    url: format!("{}/{name}", &base[..end]),
                    gone: Cleanup::Drop {
                        admin,
                        statement: format!("DROP DATABASE IF EXISTS {name}"),
                    },
                })
            }
        }
    }
}

/// `guarded_<secs>_<pid>_n<k>`: named as the other suites name theirs, so that their runs
/// drop it once it is an hour old should this process die before its [`Drop`].
fn unique() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    format!(
        "guarded_{secs}_{}_n{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The URL in `var`, after running `ddl` there; `None` when `var` is unset. On a thread of
/// its own, so a test may call it from inside its runtime.
fn server(var: &str, ddl: &str) -> Option<String> {
    let url = std::env::var(var).ok()?;
    let (var, ddl, at) = (var.to_owned(), ddl.to_owned(), url.clone());
    std::thread::spawn(move || create(&var, &ddl, &at))
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    Some(url)
}

fn create(var: &str, ddl: &str, url: &str) {
    block_on(async {
        let pool = AnyPool::connect(url)
            .await
            .unwrap_or_else(|e| panic!("{var} is set, but its server does not answer: {e}"));
        pool.execute(AssertSqlSafe(ddl.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("{ddl}: {e}"));
        pool.close().await;
    });
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
