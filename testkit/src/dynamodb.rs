//! The local DynamoDB-compatible server the DynamoDB suites run on (moto's in CI).

use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_dynamodb::types::AttributeValue;

/// The server's endpoint, `GUARDED_TEST_DYNAMODB`; when it is unset, `None`, and the test
/// says it is skipped (plain `cargo test` has no server; `.ci/run` starts one).
pub fn endpoint() -> Option<String> {
    let endpoint = std::env::var("GUARDED_TEST_DYNAMODB").ok();
    if endpoint.is_none() {
        eprintln!("GUARDED_TEST_DYNAMODB is unset: skipped");
    }
    endpoint
}

/// A string attribute.
pub fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

/// A tag no other test of this run, nor an earlier run, puts in its keys: the server's
/// tables outlive a run.
pub fn tag() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    format!("{nanos}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
