//! The demo's API on DynamoDB, one binary, against the server of `GUARDED_TEST_DYNAMODB` (each
//! test skipped, saying so, when it is unset): `api` drives the routes, `attacks` tries
//! handlers that get around `guarded.toml`, `race` races a revocation against a write, `probe`
//! runs `guarded-probe` on the served API.

mod api;
mod attacks;
mod probe;
mod race;
