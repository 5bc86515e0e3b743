//! What the strict verifier costs next to a bare `jsonwebtoken::decode`, per algorithm.
//!
//! ```sh
//! cargo bench --bench verify
//! ```
//!
//! Two alternatives with the same key and token, for HS256, ES256, RS256 and `EdDSA`:
//!
//! - `guard`: the real `Guard` extraction (`FromRequestParts`) on a request carrying the
//!   `Authorization` header: bearer parsing, every check of the verifier, the claims, the pool
//!   handle (a lazily connected SQLite pool: extraction never touches the database);
//! - `decode`: `jsonwebtoken::decode::<Claims>` with a `Validation` a careful hand-written
//!   verifier would use (the algorithm pinned, `nbf` validated, `exp`/`nbf`/`sub` required).
//!
//! Criterion measures both; then, in the same run, interleaved rounds of both give the ratio
//! printed per algorithm (median over rounds). Nothing asserts a time; the goal (at most 1.10)
//! is printed next to the ratios. The keys are the test-only PEM files in `tests/keys/`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::{Request, header, request::Parts};
use criterion::Criterion;
use guarded::jwt::{Alg, Key};
use guarded::{Claims, Guard, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sqlx::{Sqlite, SqlitePool};

const GOAL: f64 = 1.10;

#[derive(Clone, FromRef)]
struct State {
    pool: SqlitePool,
    verifier: Verifier,
}

/// One algorithm's fixture: the same key for both alternatives.
struct Fixture {
    name: &'static str,
    state: State,
    parts: Parts,
    token: String,
    decoding: DecodingKey,
    validation: Validation,
}

impl Fixture {
    fn new(pool: &SqlitePool, alg: Alg, private: &str, public: &str) -> Self {
        let (algorithm, encoding, decoding, key) = match alg {
            Alg::HS256 => (
                Algorithm::HS256,
                EncodingKey::from_secret(private.as_bytes()),
                DecodingKey::from_secret(public.as_bytes()),
                Key::hs256(public).expect("hs"),
            ),
            Alg::ES256 => (
                Algorithm::ES256,
                EncodingKey::from_ec_pem(private.as_bytes()).expect("ec"),
                DecodingKey::from_ec_pem(public.as_bytes()).expect("ec"),
                Key::es256_pem(public).expect("ec"),
            ),
            Alg::RS256 => (
                Algorithm::RS256,
                EncodingKey::from_rsa_pem(private.as_bytes()).expect("rsa"),
                DecodingKey::from_rsa_pem(public.as_bytes()).expect("rsa"),
                Key::rs256_pem(public).expect("rsa"),
            ),
            _ => (
                Algorithm::EdDSA,
                EncodingKey::from_ed_pem(private.as_bytes()).expect("ed"),
                DecodingKey::from_ed_pem(public.as_bytes()).expect("ed"),
                Key::ed25519_pem(public).expect("ed"),
            ),
        };
        let now = jsonwebtoken::get_current_timestamp();
        let claims = serde_json::json!({
            "sub": "alice", "exp": now + 3600, "nbf": now - 5, "iat": now, "jti": "bench",
        });
        let token =
            jsonwebtoken::encode(&Header::new(algorithm), &claims, &encoding).expect("sign");
        let mut validation = Validation::new(algorithm);
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "nbf", "sub"]);
        let (parts, ()) = Request::builder()
            .uri("/items/1")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(())
            .expect("request")
            .into_parts();
        let verifier = Verifier::builder().key(key).build().expect("verifier");
        Self {
            name: alg.name(),
            state: State {
                pool: pool.clone(),
                verifier,
            },
            parts,
            token,
            decoding,
            validation,
        }
    }

    fn guard(&mut self) -> Guard<Sqlite> {
        ready(Guard::<Sqlite>::from_request_parts(
            &mut self.parts,
            &self.state,
        ))
        .expect("guard")
    }

    fn decode(&self) -> Claims {
        jsonwebtoken::decode::<Claims>(&self.token, &self.decoding, &self.validation)
            .expect("decode")
            .claims
    }
}

/// Polls a future that never waits (extraction does no I/O) to completion.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("Guard extraction waited on something"),
    }
}

fn fixtures(pool: &SqlitePool) -> Vec<Fixture> {
    const SECRET: &str = "bench-secret-bench-secret-bench-secret!!";
    vec![
        Fixture::new(pool, Alg::HS256, SECRET, SECRET),
        Fixture::new(
            pool,
            Alg::ES256,
            include_str!("../tests/keys/ec_private.pem"),
            include_str!("../tests/keys/ec_public.pem"),
        ),
        Fixture::new(
            pool,
            Alg::RS256,
            include_str!("../tests/keys/rsa_private.pem"),
            include_str!("../tests/keys/rsa_public.pem"),
        ),
        Fixture::new(
            pool,
            Alg::EdDSA,
            include_str!("../tests/keys/ed25519_private.pem"),
            include_str!("../tests/keys/ed25519_public.pem"),
        ),
    ]
}

fn criterion_benches(c: &mut Criterion, fixtures: &mut [Fixture]) {
    for fixture in fixtures {
        let mut group = c.benchmark_group(fixture.name);
        group.bench_function("guard", |b| b.iter(|| black_box(fixture.guard())));
        group.bench_function("decode", |b| b.iter(|| black_box(fixture.decode())));
        group.finish();
    }
}

/// Nanoseconds per call of `f`, over `calls` calls.
fn per_call(calls: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..calls {
        f();
    }
    start.elapsed().as_secs_f64() * 1e9 / f64::from(calls)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Interleaved rounds of both alternatives; the ratio of the medians, per algorithm.
fn ratios(fixtures: &mut [Fixture], rounds: usize, slice: Duration) {
    println!("\nGuard extraction vs bare jsonwebtoken::decode, {rounds} interleaved rounds");
    println!(
        "{:<8} {:>12} {:>12} {:>8}   goal <= {GOAL:.2}",
        "alg", "guard", "decode", "ratio"
    );
    for fixture in fixtures {
        // Calls per slice, from one timed call of the slower alternative.
        let start = Instant::now();
        for _ in 0..8 {
            drop(black_box(fixture.guard()));
        }
        let probe = (start.elapsed() / 8).as_nanos().max(1);
        let calls = u32::try_from(slice.as_nanos() / probe)
            .unwrap_or(u32::MAX)
            .max(1);
        let (mut guard, mut decode) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            // Alternate which goes first, so neither always inherits a warm or cold cache.
            for first in [round % 2 == 0, round % 2 != 0] {
                if first {
                    guard.push(per_call(calls, || drop(black_box(fixture.guard()))));
                } else {
                    decode.push(per_call(calls, || drop(black_box(fixture.decode()))));
                }
            }
        }
        let (g, d) = (median(guard), median(decode));
        let ratio = g / d;
        let verdict = if ratio <= GOAL { "ok" } else { "over goal" };
        println!(
            "{:<8} {:>9.0} ns {:>9.0} ns {ratio:>8.3}   {verdict}",
            fixture.name, g, d
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let _entered = runtime.enter();
    let pool = SqlitePool::connect_lazy("sqlite::memory:").expect("lazy pool");
    let mut fixtures = fixtures(&pool);
    // Both alternatives accept the token before anything is timed.
    for fixture in &mut fixtures {
        assert_eq!(fixture.guard().subject(), &fixture.decode().sub);
    }

    let benching = std::env::args().any(|a| a == "--bench");
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    criterion_benches(&mut criterion, &mut fixtures);
    criterion.final_summary();

    if benching {
        ratios(&mut fixtures, 21, Duration::from_millis(50));
    } else {
        ratios(&mut fixtures, 1, Duration::from_millis(1));
    }
}
