//! The DynamoDB suite, one binary, against the server of `GUARDED_TEST_DYNAMODB` (each test
//! skipped, saying so, when it is unset): `items` checks each fn as owner and stranger,
//! `notes` the tenant scope of `guarded.toml`, `race` a transfer racing the old owner's writes.
//! `tests/ui.rs` (trybuild) stays its own binary.

mod items;
mod notes;
mod race;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// A stored item's title and owner, what every row check of the suite compares.
fn title_and_owner(item: &HashMap<String, AttributeValue>) -> (String, String) {
    let text = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    (text("title"), text("owner_id"))
}

/// The `(title, owner)` a row check expects.
fn pair(title: &str, owner: &str) -> (String, String) {
    (title.to_owned(), owner.to_owned())
}
