//! A table's `scope` on DynamoDB: attributes equal to claims go to the runtime with the
//! table, and every other scope, `deny = 403` and a put naming a scope attribute are refused.

use quote::quote;
use syn::ItemFn;

use super::run;

const NOTES: &str = "[tables.notes]\nowner = \"owner_id\"\nscope = \"notes.org_id = :org\"\n\n\
                     [tables.items]\nowner = \"owner_id\"\n";

fn with_scope(scope: &str) -> String {
    format!("[tables.notes]\nowner = \"owner_id\"\nscope = {scope:?}\n")
}

fn get(table: &str) -> ItemFn {
    syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb, Tenant>) -> Result<(), E> {
            guard.client().get_item().table_name(#table).send().await?;
            Ok(())
        }
    }
}

#[test]
fn the_scope_goes_to_the_runtime_with_its_table_and_the_claims_it_compares_with() {
    let out = run(quote!(), Some(NOTES), &get("notes")).unwrap_or_else(|e| panic!("{e}"));
    let scope = quote! {
        scope: &[("org_id", ::guarded::__private::dynamo::Claim::Field("org"))],
    };
    assert!(out.contains(&scope.to_string()), "{out}");
    // The field is read from the claims, an `Option` that holds none being no value.
    let field = quote! {
        ("org", {
            #[allow(unused_imports)]
            use ::guarded::__private::{ClaimOption as _, ClaimValue as _};
            ::guarded::__private::dynamo::field(
                (&::guarded::__private::Present(
                    &::guarded::__private::dynamo::claims(&guard).org,
                ))
                    .present(),
            )
        })
    };
    assert!(out.contains(&field.to_string()), "{out}");
    // A table without a scope carries none, and its requests read no field of the claims.
    let out = run(quote!(), Some(NOTES), &get("items")).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.contains("name : \"items\""), "{out}");
    assert!(out.contains("scope : & [] ,"), "{out}");
    assert!(!out.contains(". org"), "{out}");
    // A transaction may write any guarded table: it reads every scope's claims.
    let transaction: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb, Tenant>, t: TransactWriteItem) -> Result<(), E> {
            guard.client().transact_write_items().transact_items(t).send().await?;
            Ok(())
        }
    };
    let out = run(quote!(), Some(NOTES), &transaction).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.contains(&field.to_string()), "{out}");
}

#[test]
fn each_attribute_keeps_its_case_and_each_claim_its_kind() {
    let file = with_scope("(:sub = notes.createdBy) AND notes.team = :team AND notes.iat = :iat");
    let out = run(quote!(), Some(&file), &get("notes")).unwrap_or_else(|e| panic!("{e}"));
    let claim = quote!(::guarded::__private::dynamo::Claim);
    let scope = quote! {
        scope: &[
            ("createdBy", #claim::Sub),
            ("team", #claim::Field("team")),
            ("iat", #claim::Iat)
        ],
    };
    assert!(out.contains(&scope.to_string()), "{out}");
    // `:sub` and `:iat` come from the token: only `team` is read from the claims type.
    assert!(out.contains(". team ,"), "{out}");
    assert!(!out.contains(". iat ,"), "{out}");
}

#[test]
fn a_scope_dynamodb_cannot_decide_on_the_item_is_refused() {
    let shape = "on DynamoDB a scope is one or more `items.attribute = :claim` joined with AND";
    for (scope, says) in [
        (
            "notes.org_id = :org AND EXISTS (SELECT 1 FROM members m WHERE m.org_id = notes.org_id AND m.user_id = :sub)",
            "`EXISTS (SELECT 1 FROM members",
        ),
        (
            "notes.org_id = :org OR notes.public",
            "`notes.org_id = :org OR notes.public`",
        ),
        ("notes.org_id = 'acme'", "`notes.org_id = 'acme'`"),
        (
            "notes.org_id = :org AND NOT notes.hidden",
            "`NOT notes.hidden`",
        ),
        (
            "notes.owner_id = :org",
            "`notes.owner_id` is the owner attribute",
        ),
        (
            "notes.org_id = :org AND notes.org_id = :team",
            "`notes.org_id` is compared twice",
        ),
    ] {
        let errors = run(quote!(), Some(&with_scope(scope)), &get("notes"))
            .expect_err("a scope DynamoDB cannot decide");
        assert!(
            errors.contains("the `scope` of `notes` in guarded.toml"),
            "{scope}: {errors}"
        );
        assert!(errors.contains(says), "{scope}: {errors}");
        assert!(errors.contains(shape), "{scope}: {errors}");
    }
}

#[test]
fn deny_403_is_refused_on_a_request_of_a_scoped_table_only() {
    let errors = run(quote!(deny = 403), Some(NOTES), &get("notes")).expect_err("refused");
    assert!(
        errors.contains("`deny = 403` would tell that an item exists outside the caller's scope"),
        "{errors}"
    );
    assert!(run(quote!(deny = 403), Some(NOTES), &get("items")).is_ok());
    let transaction: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb, Tenant>, t: TransactWriteItem) -> Result<(), E> {
            guard.client().transact_write_items().transact_items(t).send().await?;
            Ok(())
        }
    };
    let errors = run(quote!(deny = 403), Some(NOTES), &transaction).expect_err("refused");
    assert!(errors.contains("`notes` has a `scope`"), "{errors}");
}

#[test]
fn a_put_naming_a_scope_attribute_is_refused() {
    let put: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb, Tenant>, org: String) -> Result<(), E> {
            guard.client().put_item().table_name("notes")
                .item("id", AttributeValue::S("1".into()))
                .item("org_id", AttributeValue::S(org))
                .send().await?;
            Ok(())
        }
    };
    let errors = run(quote!(), Some(NOTES), &put).expect_err("refused");
    assert!(
        errors.contains("`org_id` is set by the `scope` of `notes` in guarded.toml"),
        "{errors}"
    );
    // The same attribute on a table without a scope is the fn's own.
    let items: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb, Tenant>, org: String) -> Result<(), E> {
            guard.client().put_item().table_name("items")
                .item("org_id", AttributeValue::S(org))
                .send().await?;
            Ok(())
        }
    };
    assert!(run(quote!(), Some(NOTES), &items).is_ok());
}
