//! `race_demo`: the race this crate exists for, run for real.
//!
//! ```sh
//! cargo run --release --example race_demo               # SQLite file in a temp dir
//! cargo run --release --example race_demo -- 20000      # more trials (default 2000)
//! DATABASE_URL=postgres://postgres@127.0.0.1/test cargo run --release --example race_demo
//! ```
//!
//! Each trial creates an item owned by alice; then, at the same moment, alice transfers it to
//! bob and alice deletes it. A delete that lands after the transfer deletes bob's item: an
//! unauthorized write. The naive handler checks the owner with a SELECT and deletes by key;
//! the guarded one is a `#[guarded]` fn whose DELETE carries the owner predicate. The verdict
//! comes from the database: the transfer's UPDATE matched the row (it existed and was alice's
//! until then), yet the row is gone (so the delete came after the transfer).

use std::error::Error;
use std::pin::Pin;
use std::str::FromStr;
use std::time::{Duration, Instant};

use guarded::{Claims, Guard, GuardedDb};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::mysql::MySqlPoolOptions;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Executor, Pool};
use tokio::task::JoinSet;

const ALICE: &str = "alice";
const BOB: &str = "bob";
/// Trials in flight at once; each holds up to two connections.
const IN_FLIGHT: u32 = 4;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// One backend's statements. A real application has one database and no such table.
struct Backend<DB: GuardedDb> {
    schema: &'static str,
    seed: fn(Pool<DB>) -> BoxFuture<sqlx::Result<i64>>,
    exists: fn(Pool<DB>, i64) -> BoxFuture<sqlx::Result<bool>>,
    naive_delete: fn(Pool<DB>, i64) -> BoxFuture<sqlx::Result<()>>,
    guarded_delete: fn(Guard<DB>, i64) -> BoxFuture<Result<(), guarded::Error>>,
    transfer: fn(Guard<DB>, i64) -> BoxFuture<Result<(), guarded::Error>>,
}

/// Stamps out one backend; the SQL differs only in placeholders and arrives as `tt` so
/// `#[guarded]` sees plain string literals.
macro_rules! backend {
    ($module:ident, $db:ident, schema = $schema:tt, seed = $seed:tt, exists = $exists:tt,
     owner_of = $owner_of:tt, delete = $delete:tt, transfer = $transfer:tt) => {
        mod $module {
            use guarded::{Guard, guarded};
            use sqlx::{Pool, $db};

            use super::{ALICE, BOB, Backend};

            pub static BACKEND: Backend<$db> = Backend {
                schema: $schema,
                seed: |pool| {
                    Box::pin(
                        async move { sqlx::query_scalar($seed).bind(ALICE).fetch_one(&pool).await },
                    )
                },
                exists: |pool, id| {
                    Box::pin(async move {
                        let row: Option<i64> = sqlx::query_scalar($exists)
                            .bind(id)
                            .fetch_optional(&pool)
                            .await?;
                        Ok(row.is_some())
                    })
                },
                naive_delete: |pool, id| Box::pin(naive_delete(pool, id)),
                guarded_delete: |guard, id| Box::pin(guarded_delete(guard, id)),
                transfer: |guard, id| Box::pin(transfer(guard, id)),
            };

            /// Check, then act: the owner may change between the two statements.
            async fn naive_delete(pool: Pool<$db>, id: i64) -> sqlx::Result<()> {
                let owner: Option<String> = sqlx::query_scalar($owner_of)
                    .bind(id)
                    .fetch_optional(&pool)
                    .await?;
                // The handler's other work between check and use, in miniature.
                tokio::task::yield_now().await;
                if owner.as_deref() == Some(ALICE) {
                    sqlx::query($delete).bind(id).execute(&pool).await?;
                }
                Ok(())
            }

            /// The same delete; the check is now inside the statement.
            #[guarded(owner = "race_items.owner_id")]
            async fn guarded_delete(mut guard: Guard<$db>, id: i64) -> Result<(), guarded::Error> {
                sqlx::query($delete).bind(id).execute(&mut guard).await?;
                Ok(())
            }

            #[guarded(owner = "race_items.owner_id")]
            async fn transfer(mut guard: Guard<$db>, id: i64) -> Result<(), guarded::Error> {
                sqlx::query($transfer)
                    .bind(BOB)
                    .bind(id)
                    .execute(&mut guard)
                    .await?;
                Ok(())
            }
        }
    };
}

backend!(
    sqlite,
    Sqlite,
    schema = "CREATE TABLE race_items (id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT 'x', owner_id TEXT NOT NULL)",
    seed = "INSERT INTO race_items (owner_id) VALUES (?) RETURNING id",
    exists = "SELECT id FROM race_items WHERE id = ?",
    owner_of = "SELECT owner_id FROM race_items WHERE id = ?",
    delete = "DELETE FROM race_items WHERE id = ?",
    transfer = "UPDATE race_items SET owner_id = ? WHERE id = ?"
);

backend!(
    postgres,
    Postgres,
    schema = "CREATE TABLE race_items (id BIGSERIAL PRIMARY KEY, title TEXT NOT NULL DEFAULT 'x', owner_id TEXT NOT NULL)",
    seed = "INSERT INTO race_items (owner_id) VALUES ($1) RETURNING id",
    exists = "SELECT id FROM race_items WHERE id = $1",
    owner_of = "SELECT owner_id FROM race_items WHERE id = $1",
    delete = "DELETE FROM race_items WHERE id = $1",
    transfer = "UPDATE race_items SET owner_id = $1 WHERE id = $2"
);

backend!(
    mysql,
    MySql,
    schema = "CREATE TABLE race_items (id BIGINT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(20) NOT NULL DEFAULT 'x', owner_id VARCHAR(20) NOT NULL) ENGINE = InnoDB",
    seed = "INSERT INTO race_items (owner_id) VALUES (?) RETURNING id",
    exists = "SELECT id FROM race_items WHERE id = ?",
    owner_of = "SELECT owner_id FROM race_items WHERE id = ?",
    delete = "DELETE FROM race_items WHERE id = ?",
    transfer = "UPDATE race_items SET owner_id = ? WHERE id = ?"
);

/// What one handler did over all trials.
#[derive(Default)]
struct Tally {
    trials: u32,
    unauthorized: u32,
    refused: u32,
    elapsed: Duration,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let trials: u32 = std::env::args().nth(1).map_or(Ok(2000), |n| n.parse())?;
    let url = std::env::var("DATABASE_URL").ok();
    let scheme = url
        .as_deref()
        .and_then(|u| u.split(':').next())
        .unwrap_or("sqlite");
    let (label, naive, guarded) = match scheme {
        "sqlite" => {
            let path = std::env::temp_dir().join(format!("race_demo_{}.db", std::process::id()));
            let options = SqliteConnectOptions::from_str(url.as_deref().unwrap_or("sqlite://"))?
                .filename(&path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(30));
            let pool = SqlitePoolOptions::new().connect_with(options).await?;
            let result = race(&pool, &sqlite::BACKEND, trials).await?;
            pool.close().await;
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            ("SQLite", result.0, result.1)
        }
        "postgres" | "postgresql" => {
            let pool = PgPoolOptions::new()
                .connect(url.as_deref().unwrap_or_default())
                .await?;
            let (n, g) = race(&pool, &postgres::BACKEND, trials).await?;
            ("PostgreSQL", n, g)
        }
        "mysql" | "mariadb" => {
            let pool = MySqlPoolOptions::new()
                .connect(url.as_deref().unwrap_or_default())
                .await?;
            let (n, g) = race(&pool, &mysql::BACKEND, trials).await?;
            ("MySQL/MariaDB", n, g)
        }
        other => return Err(format!("DATABASE_URL: unknown scheme {other:?}").into()),
    };
    report(label, &naive, &guarded);
    if guarded.unauthorized > 0 {
        return Err("the guarded handler wrote without ownership".into());
    }
    Ok(())
}

/// Runs the naive handler, then the guarded one, over `trials` trials each, in a fresh table of its own (`race_items`, dropped and re-created).
async fn race<DB: GuardedDb>(
    pool: &Pool<DB>,
    backend: &'static Backend<DB>,
    trials: u32,
) -> Result<(Tally, Tally), Box<dyn Error>>
where
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
{
    pool.execute("DROP TABLE IF EXISTS race_items").await?;
    pool.execute(AssertSqlSafe(backend.schema)).await?;
    let naive = run(pool, backend, trials, false).await?;
    let guarded = run(pool, backend, trials, true).await?;
    Ok((naive, guarded))
}

async fn run<DB: GuardedDb>(
    pool: &Pool<DB>,
    backend: &'static Backend<DB>,
    trials: u32,
    guarded: bool,
) -> Result<Tally, Box<dyn Error>> {
    let bar = ProgressBar::new(u64::from(trials)).with_style(
        ProgressStyle::with_template("{prefix:>8} [{bar:40}] {pos}/{len} trials  {per_sec}")?
            .progress_chars("=> "),
    );
    bar.set_prefix(if guarded { "guarded" } else { "naive" });
    let mut tally = Tally::default();
    let start = Instant::now();
    let mut done = 0;
    while done < trials {
        let mut set = JoinSet::new();
        for _ in done..trials.min(done + IN_FLIGHT) {
            set.spawn(trial(pool.clone(), backend, guarded));
        }
        while let Some(outcome) = set.join_next().await {
            match outcome?? {
                Verdict::Authorized => {}
                Verdict::Refused => tally.refused += 1,
                Verdict::Unauthorized => tally.unauthorized += 1,
            }
            tally.trials += 1;
            bar.inc(1);
        }
        done = tally.trials;
    }
    tally.elapsed = start.elapsed();
    bar.finish();
    Ok(tally)
}

enum Verdict {
    Authorized,
    Refused,
    Unauthorized,
}

fn guard<DB: GuardedDb>(pool: Pool<DB>, sub: &str) -> Guard<DB> {
    let claims: Claims =
        serde_json::from_value(serde_json::json!({ "sub": sub, "exp": u64::MAX / 2 }))
            .expect("claims of a fixed subject");
    Guard::trusted(pool, claims)
}

async fn trial<DB: GuardedDb>(
    pool: Pool<DB>,
    backend: &'static Backend<DB>,
    guarded: bool,
) -> Result<Verdict, String> {
    let id = (backend.seed)(pool.clone())
        .await
        .map_err(|e| e.to_string())?;
    let delete = {
        let pool = pool.clone();
        tokio::spawn(async move {
            if guarded {
                match (backend.guarded_delete)(guard(pool, ALICE), id).await {
                    Ok(()) | Err(guarded::Error::Denied(_)) => Ok(()),
                    Err(e) => Err(e.to_string()),
                }
            } else {
                (backend.naive_delete)(pool, id)
                    .await
                    .map_err(|e| e.to_string())
            }
        })
    };
    let transfer = tokio::spawn((backend.transfer)(guard(pool.clone(), ALICE), id));
    delete.await.map_err(|e| e.to_string())??;
    let transferred = match transfer.await.map_err(|e| e.to_string())? {
        Ok(()) => true,
        Err(guarded::Error::Denied(_)) => false,
        Err(e) => return Err(e.to_string()),
    };
    let exists = (backend.exists)(pool, id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(match (exists, transferred) {
        (true, _) => Verdict::Refused,
        (false, false) => Verdict::Authorized,
        (false, true) => Verdict::Unauthorized,
    })
}

fn report(label: &str, naive: &Tally, guarded: &Tally) {
    println!();
    println!("transfer vs delete on {label}");
    println!("handler  | trials | unauthorized deletes | deletes refused | trials/s");
    println!("---------|--------|----------------------|-----------------|---------");
    for (name, t) in [("naive", naive), ("guarded", guarded)] {
        println!(
            "{name:<8} | {:>6} | {:>20} | {:>15} | {:>8.0}",
            t.trials,
            t.unauthorized,
            t.refused,
            f64::from(t.trials) / t.elapsed.as_secs_f64()
        );
    }
    if naive.unauthorized == 0 {
        println!("(the naive handler got lucky this run; try more trials)");
    }
}
