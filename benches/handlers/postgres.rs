//! The alternatives on PostgreSQL, in a schema of their own (`guarded_bench_<time>_<pid>`),
//! created and dropped by the benchmark. Not `guarded-testkit`'s database: the schema comes
//! with a role of the same name, which the testkit does not make.
//!
//! The RLS-style alternative runs under a real policy: the table has row-level security
//! enabled with `USING (owner_id = current_setting('app.subject'))`, and its pool connects
//! with `role` set to a role of its own, which is neither a superuser nor the table's owner
//! (both would bypass the policy). The other alternatives connect as the URL's user, the
//! table's owner, to whom the policy does not apply.
//!
//! The pools can connect through a [`Link`](crate::link::Link) (`via`); the schema and role
//! work goes direct.

use std::net::{SocketAddr, ToSocketAddrs};
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use guarded::{Deny, Guard, guarded};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, PgPool, Postgres};

use crate::hand::{self, Dialect};
use crate::timing::Alt;
use crate::{ITEMS, SUBJECT, TITLE, claims, keys, on};

impl Dialect for Postgres {
    const BEGIN: &'static str = "BEGIN";
    const UPDATE_OWNED: &'static str =
        "UPDATE items SET title = $1 WHERE (id = $2) AND items.owner_id = $3";
    const UPDATE: &'static str = "UPDATE items SET title = $1 WHERE id = $2";
    const OWNER: &'static str = "SELECT owner_id FROM items WHERE id = $1";
    const OWNER_LOCKED: &'static str = "SELECT owner_id FROM items WHERE id = $1 FOR UPDATE";
    const TITLE_OWNED: &'static str =
        "SELECT title FROM items WHERE (id = $1) AND items.owner_id = $2";
    const AUDIT: &'static str = "INSERT INTO audit (item_id, note) VALUES ($1, $2)";
}

/// The hand-written alternatives on Postgres.
type Hand = hand::Hand<Postgres>;

/// Connections per pool; the 32 tasks share them, as handlers share an application's pool.
const CONNECTIONS: u32 = 16;

const PREFIX: &str = "guarded_bench_";

/// Whether the pools ping a connection before handing it out: sqlx's default, and a round trip
/// every alternative pays per acquire. `GUARDED_BENCH_ACQUIRE_PING=0` turns it off, as a
/// latency-minded service may (the ping sqlx sends on release stays: it is not an option).
pub(crate) fn acquire_ping() -> bool {
    std::env::var("GUARDED_BENCH_ACQUIRE_PING").map_or(true, |v| v != "0")
}

/// The options of the alternatives' pools, the same for every one of them.
fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(CONNECTIONS)
        .test_before_acquire(acquire_ping())
}

/// The benchmark's schema and role, and the pools on them.
pub(crate) struct Db {
    pub(crate) version: String,
    admin: PgPool,
    name: String,
    pool: PgPool,
    rls: PgPool,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

async fn run(executor: &PgPool, sql: String) {
    executor
        .execute(AssertSqlSafe(sql.clone()))
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

impl Db {
    /// Creates the schema, the table with its policy, the role, and seeds the items. With
    /// `durable` false every connection sets `synchronous_commit = off`: a commit then does not
    /// wait for its WAL flush, which leaves round trips and server work to be measured. With
    /// `via`, the pools connect to that address instead of the URL's host and port.
    pub(crate) async fn create(url: &str, durable: bool, via: Option<SocketAddr>) -> Self {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .unwrap_or_else(|e| {
                panic!("GUARDED_TEST_PG is set, but its server does not answer: {e}")
            });
        drop_stale(&admin).await;
        let version: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&admin)
            .await
            .expect("version");
        let name = format!("{PREFIX}{}_{}", now(), std::process::id());
        run(&admin, format!("CREATE SCHEMA {name}")).await;
        run(&admin, format!("CREATE ROLE {name} NOLOGIN")).await;
        let sync = if durable { "on" } else { "off" };
        let options = through(options(url), via).options([("synchronous_commit", sync)]);
        let pool = pool_options()
            .connect_with(options.clone().options([("search_path", name.as_str())]))
            .await
            .expect("connect to the benchmark schema");
        for statement in include_str!("../../tests/schema_postgres.sql").split(';') {
            if !statement.trim().is_empty() {
                pool.execute(statement).await.expect("schema");
            }
        }
        for sql in [
            "ALTER TABLE items ENABLE ROW LEVEL SECURITY".to_owned(),
            "CREATE POLICY owner_only ON items USING (owner_id = current_setting('app.subject'))"
                .to_owned(),
            format!("GRANT USAGE ON SCHEMA {name} TO {name}"),
            format!("GRANT SELECT, UPDATE ON items TO {name}"),
            format!(
                "INSERT INTO items (id, title, owner_id) \
                 SELECT i, 'seed', '{SUBJECT}' FROM generate_series(1, {ITEMS}) AS i"
            ),
        ] {
            run(&pool, sql).await;
        }
        let rls = pool_options()
            .connect_with(
                options.options([("search_path", name.as_str()), ("role", name.as_str())]),
            )
            .await
            .expect("connect as the benchmark's role");
        let db = Self {
            version,
            admin,
            name,
            pool,
            rls,
        };
        db.check_policy().await;
        db
    }

    /// The policy must be what the RLS-style row pays for: someone else sees no row.
    async fn check_policy(&self) {
        let mut tx = self.rls.begin().await.expect("begin");
        sqlx::query("SELECT set_config('app.subject', 'mallory', true)")
            .execute(&mut *tx)
            .await
            .expect("set subject");
        let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
            .fetch_one(&mut *tx)
            .await
            .expect("count");
        assert_eq!(seen, 0, "row-level security does not apply to the RLS pool");
    }

    /// The alternatives: the RLS-style one on the pool of the benchmark's role, the others
    /// on the pool of the tables' owner.
    pub(crate) fn alts(&self) -> Vec<Alt> {
        let guard = Guard::<Postgres>::trusted(self.pool.clone(), claims());
        let pool = &self.pool;
        vec![
            on(keys::GUARDED, "guarded fn", &guard, rename),
            on(keys::HAND, "hand-written statement", pool, Hand::rename),
            on(
                keys::HAND_TX,
                "hand-written statement in BEGIN/COMMIT",
                pool,
                Hand::rename_in_tx,
            ),
            on(
                keys::CHECK_THEN_ACT,
                "check-then-act, no transaction",
                pool,
                Hand::check_then_act,
            ),
            on(
                keys::LOCK,
                "BEGIN + SELECT FOR UPDATE + UPDATE",
                pool,
                Hand::locked,
            ),
            on(
                keys::RLS,
                "BEGIN + set_config + UPDATE under RLS",
                &self.rls,
                rename_rls,
            ),
            on(
                keys::GUARDED3,
                "guarded fn, 3 statements",
                &guard,
                retitle_logged,
            ),
            on(
                keys::HAND3,
                "hand-written transaction, 3 statements",
                pool,
                Hand::retitle_logged,
            ),
        ]
    }

    /// Drops the schema and the role.
    pub(crate) async fn drop_all(self) {
        self.pool.close().await;
        self.rls.close().await;
        drop_named(&self.admin, &self.name).await;
        self.admin.close().await;
    }
}

fn options(url: &str) -> PgConnectOptions {
    PgConnectOptions::from_str(url).expect("GUARDED_TEST_PG is a PostgreSQL URL")
}

fn through(options: PgConnectOptions, via: Option<SocketAddr>) -> PgConnectOptions {
    match via {
        Some(addr) => options.host(&addr.ip().to_string()).port(addr.port()),
        None => options,
    }
}

/// The server's TCP address, for a [`Link`](crate::link::Link) to forward to; `None` for a
/// Unix socket or a host that does not resolve.
pub(crate) fn upstream(url: &str) -> Option<SocketAddr> {
    let options = options(url);
    if options.get_socket().is_some() {
        return None;
    }
    (options.get_host(), options.get_port())
        .to_socket_addrs()
        .ok()?
        .next()
}

/// Median time of `SELECT 1` on one connection (no pool, so no pings around it), direct or
/// `via` a link: what one round trip costs.
pub(crate) async fn round_trip(url: &str, via: Option<SocketAddr>) -> Duration {
    let mut conn = PgConnection::connect_with(&through(options(url), via))
        .await
        .expect("connect for the round trip");
    let mut times = Vec::with_capacity(200);
    for i in 0..220 {
        let start = Instant::now();
        sqlx::query("SELECT 1")
            .execute(&mut conn)
            .await
            .expect("SELECT 1");
        // The first ones prepare the statement and warm the caches.
        if i >= 20 {
            times.push(start.elapsed());
        }
    }
    conn.close().await.expect("close");
    times.sort();
    times[times.len() / 2]
}

async fn drop_named(admin: &PgPool, name: &str) {
    for sql in [
        format!("DROP SCHEMA IF EXISTS {name} CASCADE"),
        format!("DROP ROLE IF EXISTS {name}"),
    ] {
        if let Err(e) = admin.execute(AssertSqlSafe(sql.clone())).await {
            eprintln!("cleanup: {e}: {sql}");
        }
    }
}

/// Schemas and roles of runs that died more than an hour ago.
async fn drop_stale(admin: &PgPool) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'guarded\\_bench\\_%' \
         UNION SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'guarded\\_bench\\_%'",
    )
    .fetch_all(admin)
    .await
    .expect("list leftovers");
    for name in names {
        let born = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|s| s.parse::<u64>().ok());
        if born.is_some_and(|t| t + 3600 < now()) {
            drop_named(admin, &name).await;
        }
    }
}

#[guarded(owner = "items.owner_id")]
async fn rename(mut guard: Guard<Postgres>, id: i64) -> Result<(), guarded::Error> {
    sqlx::query("UPDATE items SET title = $1 WHERE id = $2")
        .bind(TITLE)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(())
}

/// The predicate left to a row-level security policy: the subject set per transaction.
async fn rename_rls(pool: PgPool, id: i64) -> Result<(), guarded::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('app.subject', $1, true)")
        .bind(SUBJECT)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("UPDATE items SET title = $1 WHERE id = $2")
        .bind(TITLE)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(guarded::Error::Denied(Deny::NotFound));
    }
    tx.commit().await?;
    Ok(())
}

/// Three statements: read the old title, write the new one, log the old one.
#[guarded(owner = "items.owner_id", unguarded = "audit")]
async fn retitle_logged(mut guard: Guard<Postgres>, id: i64) -> Result<(), guarded::Error> {
    let old: String = sqlx::query_scalar("SELECT title FROM items WHERE id = $1")
        .bind(id)
        .fetch_one(&mut guard)
        .await?;
    sqlx::query("UPDATE items SET title = $1 WHERE id = $2")
        .bind(TITLE)
        .bind(id)
        .execute(&mut guard)
        .await?;
    sqlx::query("INSERT INTO audit (item_id, note) VALUES ($1, $2)")
        .bind(id)
        .bind(old)
        .execute(&mut guard)
        .await?;
    Ok(())
}
