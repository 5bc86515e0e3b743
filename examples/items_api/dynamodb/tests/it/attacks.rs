//! Handlers that try to get around the demo's `guarded.toml` on DynamoDB, against the server
//! of `GUARDED_TEST_DYNAMODB`: a grantee writing what the grant does not cover, a revoked
//! token undoing its own revocation, a condition escaping its parentheses, a token without
//! the claim a check looks up. Each is checked on the stored items.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use guarded::{Claims, DynamoDb, Guard, guarded};
use guarded_testkit::dynamodb::{self, s};

type Stored = Option<HashMap<String, AttributeValue>>;

/// A client, and a fresh item of olga's shared with gus for writing; `None` without a server.
async fn setup(name: &str) -> Option<(Client, String)> {
    let client = items_api_dynamodb::client(&dynamodb::endpoint()?);
    items_api_dynamodb::create_tables(&client)
        .await
        .expect("the tables");
    let key = format!("attack-{name}-{}", std::process::id());
    client
        .put_item()
        .table_name("items")
        .item("id", s(&key))
        .item("owner_id", s("olga"))
        .item("title", s("before"))
        .item("archived", AttributeValue::Bool(false))
        .send()
        .await
        .expect("an item");
    client
        .put_item()
        .table_name("shares")
        .item("item_id", s(&key))
        .item("user_id", s("gus"))
        .item("can_write", AttributeValue::Bool(true))
        .send()
        .await
        .expect("a share");
    Some((client, key))
}

async fn stored(client: &Client, table: &str, key: (&str, &str)) -> Stored {
    client
        .get_item()
        .table_name(table)
        .key(key.0, s(key.1))
        .consistent_read(true)
        .send()
        .await
        .expect("a read")
        .item
}

fn guard(client: &Client, sub: &str, jti: Option<&str>) -> Guard<DynamoDb> {
    let mut claims = serde_json::json!({ "sub": sub, "exp": u64::MAX / 2, "iat": 1 });
    if let Some(jti) = jti {
        claims["jti"] = jti.into();
    }
    let claims: Claims = serde_json::from_value(claims).expect("claims");
    Guard::trusted(client.clone(), claims)
}

/// An update whose expression the caller chooses: the grant decides by what it writes.
#[guarded]
async fn update(
    guard: Guard<DynamoDb>,
    id: &str,
    expression: &str,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
) -> Result<(), guarded::Error> {
    guard
        .client()
        .update_item()
        .table_name("items")
        .key("id", s(id))
        .update_expression(expression)
        .set_expression_attribute_names((!names.is_empty()).then_some(names))
        .set_expression_attribute_values((!values.is_empty()).then_some(values))
        .send()
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_grantee_writes_only_what_the_grant_names_and_never_the_owner() {
    let Some((client, key)) = setup("columns").await else {
        return;
    };
    let before = stored(&client, "items", ("id", &key)).await;
    let me = || HashMap::from([(":me".to_owned(), s("gus"))]);
    let named = |name: &str| HashMap::from([("#x".to_owned(), name.to_owned())]);
    let attempts = [
        ("SET owner_id = :me", HashMap::new(), me()),
        ("SET #x = :me", named("owner_id"), me()),
        ("SET title = :me, #x = :me", named("owner_id"), me()),
        ("SET title = :me REMOVE archived", HashMap::new(), me()),
        ("SET title = :me REMOVE #x", named("owner_id"), me()),
        ("SET #x.y = :me", named("owner_id"), me()),
        ("SET #x = :me", named("archived"), me()),
        ("SET title = :me ADD #x :one", named("stamps"), {
            let mut v = me();
            v.insert(":one".to_owned(), AttributeValue::N("1".into()));
            v
        }),
    ];
    for (expression, names, values) in attempts {
        let refused = update(
            guard(&client, "gus", Some("g1")),
            &key,
            expression,
            names,
            values,
        )
        .await
        .expect_err(expression);
        assert!(
            matches!(refused, guarded::Error::Denied(_)),
            "{expression}: {refused:?}"
        );
        assert_eq!(
            stored(&client, "items", ("id", &key)).await,
            before,
            "{expression}"
        );
    }
    // What the grant names, it allows.
    update(
        guard(&client, "gus", Some("g1")),
        &key,
        "SET title = :me",
        HashMap::new(),
        me(),
    )
    .await
    .expect("a granted rename");
    let after = stored(&client, "items", ("id", &key)).await.expect("kept");
    assert_eq!(
        (&after["title"], &after["owner_id"]),
        (&s("gus"), &s("olga"))
    );
}

/// A revocation, as a fn that names the table `unguarded` might try to undo it.
#[guarded(unguarded = "revoked_tokens")]
async fn forget(guard: Guard<DynamoDb>, jti: &str, condition: &str) -> Result<(), guarded::Error> {
    guard
        .client()
        .delete_item()
        .table_name("revoked_tokens")
        .key("jti", s(jti))
        .condition_expression(condition)
        .send()
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_revoked_token_cannot_undo_its_revocation_nor_escape_the_check() {
    let Some((client, key)) = setup("unrevoke").await else {
        return;
    };
    let jti = format!("{key}-jti");
    client
        .put_item()
        .table_name("revoked_tokens")
        .item("jti", s(&jti))
        .send()
        .await
        .expect("a revocation");
    let revoked = stored(&client, "revoked_tokens", ("jti", &jti)).await;
    for condition in [
        "attribute_exists(jti)",
        // Closing the check's parentheses early, to OR around it.
        "attribute_exists(jti)) OR (attribute_exists(jti)",
        "attribute_exists(jti) OR attribute_not_exists(jti)",
    ] {
        let refused = forget(guard(&client, "olga", Some(&jti)), &jti, condition)
            .await
            .expect_err(condition);
        assert!(
            matches!(
                &refused,
                guarded::Error::Unauthorized(_) | guarded::Error::DynamoDb(_)
            ),
            "{condition}: {refused:?}"
        );
        assert_eq!(
            stored(&client, "revoked_tokens", ("jti", &jti)).await,
            revoked,
            "{condition}"
        );
    }
}

#[tokio::test]
async fn a_token_without_the_jti_the_policy_looks_up_writes_nothing() {
    let Some((client, key)) = setup("nojti").await else {
        return;
    };
    let before = stored(&client, "items", ("id", &key)).await;
    let values = HashMap::from([(":t".to_owned(), s("after"))]);
    let refused = update(
        guard(&client, "olga", None),
        &key,
        "SET title = :t",
        HashMap::new(),
        values,
    )
    .await
    .expect_err("no jti");
    assert!(
        matches!(&refused, guarded::Error::Unauthorized(e) if e.code() == "missing_claim"),
        "{refused:?}"
    );
    assert_eq!(stored(&client, "items", ("id", &key)).await, before);
}
