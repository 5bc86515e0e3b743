//! Soak: the demo server under sustained mixed load for a fixed number of minutes, then the
//! invariants checked on the rows. Stops by itself.
//!
//! ```sh
//! scripts/soak                          # builds, then runs on SQLite and each server set
//! cargo build --release -p items_api --bin items_api --example soak
//! DATABASE_URL=postgres://... target/release/examples/soak --minutes 5 --workers 8
//! ```
//!
//! Eight owners create, read, rename, transfer (among themselves) and delete their items; two
//! strangers, who never own anything, try to rename, delete and take items that are not
//! theirs; bad tokens knock. Afterwards, read past the server: no item is owned by a stranger
//! or by nobody, no title a stranger wrote is stored, no stranger's write was answered with a
//! success, every bad token was a 401. Each minute's request count, latency percentiles and
//! the server's resident memory are printed. The exit status is 1 on any violation, any
//! answer outside what each request may get, or memory that doubled after the first minute.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const OWNERS: usize = 8;
const STRANGERS: [&str; 2] = ["stranger-a", "stranger-b"];

fn owner(i: usize) -> String {
    format!("owner-{}", i % OWNERS)
}

struct Config {
    minutes: u64,
    workers: usize,
    server: String,
    url: String,
}

fn config() -> Config {
    let mut args = std::env::args().skip(1);
    let exe = std::env::current_exe().expect("this program's path");
    // target/<profile>/examples/soak -> target/<profile>/items_api
    let beside = exe
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("items_api"));
    let mut config = Config {
        minutes: 2,
        workers: 8,
        server: beside.map(|p| p.display().to_string()).unwrap_or_default(),
        url: String::new(),
    };
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--minutes" => config.minutes = value.parse().unwrap_or_else(|_| usage()),
            "--workers" => config.workers = value.parse().unwrap_or_else(|_| usage()),
            "--server" => config.server = value,
            _ => usage(),
        }
    }
    config
}

/// A database of its own on the server `DATABASE_URL` names (a schema on PostgreSQL, a
/// database on MySQL/MariaDB), or a new SQLite file: the invariants are about this run's rows.
fn fresh_database() -> String {
    let name = format!("soak_{}", std::process::id());
    let Ok(server) = std::env::var("DATABASE_URL") else {
        let path = std::env::temp_dir().join(format!("{name}.db"));
        return format!("sqlite://{}?mode=rwc", path.display());
    };
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let postgres = server.starts_with("postgres");
    runtime.block_on(async {
        let pool = sqlx::AnyPool::connect(&server)
            .await
            .expect("DATABASE_URL answers");
        let ddl = if postgres { "SCHEMA" } else { "DATABASE" };
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE {ddl} {name}")))
            .execute(&pool)
            .await
            .expect("a fresh database");
    });
    if postgres {
        let separator = if server.contains('?') { '&' } else { '?' };
        format!("{server}{separator}options[search_path]={name}")
    } else {
        let base = server.split('?').next().unwrap_or(&server);
        let path = base.find("://").map_or(0, |i| i + 3);
        let end = base[path..].find('/').map_or(base.len(), |i| path + i);
        format!("{}/{name}", &base[..end])
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: soak [--minutes N] [--workers N] [--server PATH]  (DATABASE_URL: the server; SQLite when unset)"
    );
    std::process::exit(2)
}

/// Everything the workers count.
#[derive(Default)]
struct Tally {
    /// Latencies in microseconds, per minute.
    latencies: Mutex<Vec<Vec<u32>>>,
    /// A stranger's write answered with a success, or a bad token let through.
    violations: AtomicU64,
    /// An answer outside what the request may get (a 5xx, say).
    unexpected: AtomicU64,
    max_id: AtomicI64,
}

struct Client {
    agent: ureq::Agent,
    base: String,
    started: Instant,
    tally: Arc<Tally>,
}

impl Client {
    fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(url)
            .header("Authorization", format!("Bearer {token}"));
        let begun = Instant::now();
        let response = match body {
            Some(body) => self.agent.run(
                request
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
                    .expect("a request"),
            ),
            None => self.agent.run(request.body(()).expect("a request")),
        };
        let micros = u32::try_from(begun.elapsed().as_micros()).unwrap_or(u32::MAX);
        let minute = usize::try_from(self.started.elapsed().as_secs() / 60).unwrap_or(0);
        {
            let mut latencies = self.tally.latencies.lock().expect("latencies");
            if latencies.len() <= minute {
                latencies.resize_with(minute + 1, Vec::new);
            }
            latencies[minute].push(micros);
        }
        match response {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let text = response.body_mut().read_to_string().unwrap_or_default();
                (status, serde_json::from_str(&text).unwrap_or(Value::Null))
            }
            Err(e) => {
                eprintln!("{method} {path}: {e}");
                self.tally.unexpected.fetch_add(1, Ordering::Relaxed);
                (0, Value::Null)
            }
        }
    }

    /// `status` must be one of `allowed`.
    fn expect(&self, what: &str, status: u16, allowed: &[u16]) {
        if !allowed.contains(&status) {
            eprintln!("{what}: {status}, want one of {allowed:?}");
            self.tally.unexpected.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// xorshift: a different, repeatable sequence per worker.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn work(worker: usize, client: &Client, tokens: &Tokens, stop: &AtomicBool) {
    let me = owner(worker);
    let token = &tokens.owners[worker % OWNERS];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (worker as u64 + 1));
    let mut mine: Vec<i64> = Vec::new();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let pick = |rng: &mut Rng, ids: &[i64]| {
            ids[usize::try_from(rng.below(ids.len() as u64)).unwrap_or(0)]
        };
        match rng.below(100) {
            0..25 => {
                let (status, list) = client.call("GET", "/items", token, None);
                client.expect("list", status, &[200]);
                mine = list
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .filter(|i| i["owner"] == me.as_str())
                            .filter_map(|i| i["id"].as_i64())
                            .collect()
                    })
                    .unwrap_or_default();
            }
            // A steady state: past 64 items of its own a worker deletes instead, so lists and
            // tables stop growing and the minutes compare.
            25..45 if mine.len() >= 64 => {
                let id = mine.remove(0);
                let (status, _) = client.call("DELETE", &format!("/items/{id}"), token, None);
                client.expect("delete", status, &[204, 404]);
            }
            25..45 => {
                let body = json!({"title": format!("{me}-{n}")});
                let (status, item) = client.call("POST", "/items", token, Some(body));
                client.expect("create", status, &[201]);
                if let Some(id) = item["id"].as_i64() {
                    mine.push(id);
                    client.tally.max_id.fetch_max(id, Ordering::Relaxed);
                }
            }
            45..65 if !mine.is_empty() => {
                let id = pick(&mut rng, &mine);
                let body = json!({"title": format!("{me}-{n}")});
                let (status, _) = client.call("PUT", &format!("/items/{id}"), token, Some(body));
                // 404: transferred or deleted by now.
                client.expect("rename", status, &[200, 404]);
            }
            65..75 if !mine.is_empty() => {
                let id = pick(&mut rng, &mine);
                let to = owner(usize::try_from(rng.below(OWNERS as u64)).unwrap_or(0));
                let path = format!("/items/{id}/transfer");
                let (status, _) = client.call("POST", &path, token, Some(json!({"to": to})));
                client.expect("transfer", status, &[200, 404]);
                mine.retain(|m| *m != id);
            }
            75..80 if !mine.is_empty() => {
                let id = pick(&mut rng, &mine);
                let (status, _) = client.call("DELETE", &format!("/items/{id}"), token, None);
                client.expect("delete", status, &[204, 404]);
                mine.retain(|m| *m != id);
            }
            80..95 => stranger(client, tokens, &mut rng, n),
            95..100 => {
                let bad =
                    &tokens.bad[usize::try_from(rng.below(tokens.bad.len() as u64)).unwrap_or(0)];
                let (status, _) = client.call("DELETE", "/items/1", bad, None);
                if status != 401 {
                    eprintln!("a bad token got {status}");
                    client.tally.violations.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {}
        }
    }
}

/// A stranger renames, deletes or takes an item that exists or existed: never a success.
fn stranger(client: &Client, tokens: &Tokens, rng: &mut Rng, n: u64) {
    let max = client.tally.max_id.load(Ordering::Relaxed).max(1);
    let id = 1 + i64::try_from(rng.below(u64::try_from(max).unwrap_or(1))).unwrap_or(0);
    let who = usize::try_from(rng.below(STRANGERS.len() as u64)).unwrap_or(0);
    let token = &tokens.strangers[who];
    let (method, path, body) = match rng.below(3) {
        0 => (
            "PUT",
            format!("/items/{id}"),
            Some(json!({"title": format!("stranger-{n}")})),
        ),
        1 => ("DELETE", format!("/items/{id}"), None),
        _ => (
            "POST",
            format!("/items/{id}/transfer"),
            Some(json!({"to": STRANGERS[who]})),
        ),
    };
    let (status, _) = client.call(method, &path, token, body);
    if (200..300).contains(&status) {
        eprintln!("{} {method} {path}: {status}", STRANGERS[who]);
        client.tally.violations.fetch_add(1, Ordering::Relaxed);
    } else {
        client.expect("a stranger's write", status, &[404]);
    }
}

struct Tokens {
    owners: Vec<String>,
    strangers: Vec<String>,
    bad: Vec<String>,
}

fn sign(secret: &str, sub: &str, exp_in: i64, n: usize) -> String {
    let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(0);
    let claims = json!({
        "sub": sub, "iss": "guarded-demo", "aud": "items-api",
        "iat": now, "nbf": now - 5, "exp": now + exp_in, "jti": format!("soak-{sub}-{n}"),
    });
    guarded_testkit::tokens::sign(secret.as_bytes(), &claims)
}

fn start(config: &Config, secret: &str) -> (Child, String) {
    let mut child = Command::new(&config.server)
        .env("PORT", "0")
        .env("JWT_SECRET", secret)
        .env("DATABASE_URL", &config.url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "start {}: {e} (build it: cargo build --release -p items_api)",
                config.server
            )
        });
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("the server's first line");
    std::thread::spawn(move || {
        let mut sink = String::new();
        while stdout.read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    });
    print!("{line}");
    let base = line
        .trim()
        .rsplit_once("listening on ")
        .map(|(_, b)| b.to_owned())
        .expect("an address");
    (child, base)
}

/// The server's resident memory, in KiB (Linux).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

/// Prints the table, a row per minute; the server's peak memory of each minute, in KiB.
fn report(latencies: &mut [Vec<u32>], memory: &[Vec<u64>], minutes: u64) -> Vec<u64> {
    println!("| minute | requests | p50 ms | p99 ms | max ms | server RSS MiB |");
    println!("|---|---|---|---|---|---|");
    let mut rss = Vec::new();
    for (minute, bucket) in latencies
        .iter_mut()
        .enumerate()
        .take(usize::try_from(minutes).unwrap_or(0))
    {
        bucket.sort_unstable();
        let mem = memory
            .get(minute)
            .and_then(|m| m.iter().max())
            .copied()
            .unwrap_or(0);
        rss.push(mem);
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            minute + 1,
            bucket.len(),
            percentile(bucket, 0.5),
            percentile(bucket, 0.99),
            percentile(bucket, 1.0),
            f64::from(u32::try_from(mem).unwrap_or(u32::MAX)) / 1024.0
        );
    }
    rss
}

/// The invariants, read past the server: `(items owned by a stranger or nobody, titles a
/// stranger wrote, items in all)`.
fn rows(url: &str) -> (i64, i64, i64) {
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let pool = sqlx::AnyPool::connect(url).await.expect("the database");
        let owners: Vec<String> = (0..OWNERS).map(|i| format!("'{}'", owner(i))).collect();
        let count = |sql: String| {
            let pool = pool.clone();
            async move {
                let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&pool)
                    .await
                    .expect("a count");
                n
            }
        };
        let strays = count(format!(
            "SELECT COUNT(*) FROM items WHERE owner_id NOT IN ({})",
            owners.join(", ")
        ))
        .await;
        let written =
            count("SELECT COUNT(*) FROM items WHERE title LIKE 'stranger-%'".to_owned()).await;
        let all = count("SELECT COUNT(*) FROM items".to_owned()).await;
        pool.close().await;
        (strays, written, all)
    })
}

/// Drops what [`fresh_database`] made.
fn drop_database(url: &str) {
    let name = format!("soak_{}", std::process::id());
    let Ok(server) = std::env::var("DATABASE_URL") else {
        let _ = std::fs::remove_file(std::env::temp_dir().join(format!("{name}.db")));
        return;
    };
    let ddl = if url.starts_with("postgres") {
        format!("DROP SCHEMA {name} CASCADE")
    } else {
        format!("DROP DATABASE {name}")
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        if let Ok(pool) = sqlx::AnyPool::connect(&server).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(ddl)).execute(&pool).await;
        }
    });
}

fn main() {
    let mut config = config();
    config.url = fresh_database();
    let secret = format!("soak-secret-{}-soak-secret-soak-secret", std::process::id());
    let (mut child, base) = start(&config, &secret);
    let minutes = config.minutes;
    let life = i64::try_from(minutes * 60 + 600).unwrap_or(i64::MAX);
    let tokens = Arc::new(Tokens {
        owners: (0..OWNERS)
            .map(|i| sign(&secret, &owner(i), life, 0))
            .collect(),
        strangers: STRANGERS
            .iter()
            .map(|s| sign(&secret, s, life, 0))
            .collect(),
        bad: vec![
            "not.a.token".to_owned(),
            sign("another-secret-another-secret-another", &owner(0), life, 1),
            sign(&secret, &owner(0), -120, 2),
        ],
    });
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..config.workers)
        .map(|w| {
            let client = Client {
                agent: ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .max_idle_connections(0)
                    .build()
                    .into(),
                base: base.clone(),
                started,
                tally: Arc::clone(&tally),
            };
            let (tokens, stop) = (Arc::clone(&tokens), Arc::clone(&stop));
            std::thread::spawn(move || work(w, &client, &tokens, &stop))
        })
        .collect();
    let mut memory: Vec<Vec<u64>> = Vec::new();
    let deadline = Duration::from_secs(minutes * 60);
    while started.elapsed() < deadline {
        std::thread::sleep(Duration::from_secs(5));
        let minute =
            usize::try_from(started.elapsed().as_secs().saturating_sub(1) / 60).unwrap_or(0);
        if memory.len() <= minute {
            memory.resize_with(minute + 1, Vec::new);
        }
        memory[minute].extend(rss_kib(child.id()));
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().expect("a worker");
    }
    let _ = child.kill();
    let _ = child.wait();

    let mut latencies = tally.latencies.lock().expect("latencies");
    let rss = report(&mut latencies, &memory, minutes);
    let (strays, written, all) = rows(&config.url);
    drop_database(&config.url);
    let violations = tally.violations.load(Ordering::Relaxed);
    let unexpected = tally.unexpected.load(Ordering::Relaxed);
    println!(
        "{all} items at the end; owned by a stranger or nobody: {strays}; titles by a stranger: \
         {written}; strangers' writes or bad tokens let through: {violations}; unexpected answers: \
         {unexpected}"
    );
    let grew = match (rss.first(), rss.last()) {
        (Some(&first), Some(&last)) if rss.len() > 1 && first > 0 => last > first * 2,
        _ => false,
    };
    if grew {
        println!("the server's memory more than doubled after the first minute");
    }
    if strays + written > 0 || violations + unexpected > 0 || grew {
        std::process::exit(1);
    }
}
