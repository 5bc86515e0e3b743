//! The expansion of request chains, and a refusal for each way around the guard.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::args;
use crate::ctxt::Ctxt;
use crate::pipeline::Pipeline;
use crate::policy::{self, Policy};

/// The fn expanded with `attr` and the policy file `file`, or its errors, one per line.
fn run(attr: TokenStream, file: Option<&str>, item: &ItemFn) -> Result<String, String> {
    let cx = Ctxt::new();
    let file = file.map(|text| Policy {
        path: "guarded.toml".into(),
        rules: policy::parse(text).expect("a valid policy file"),
    });
    let read = args::parse(attr, &cx).and_then(|args| {
        let mut model = super::lift(item, &args, file.as_ref(), &cx)?;
        super::DynamoDb::check(&mut model, &args, &cx);
        Some((args, model))
    });
    match cx.check() {
        Ok(()) => {
            let (args, model) = read.expect("read");
            Ok(super::DynamoDb::fill(item.clone(), &args, model).to_string())
        }
        Err(errors) => Err(errors
            .into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

fn expand(item: &ItemFn) -> String {
    run(quote!(owner = "items.owner_id"), None, item).unwrap_or_else(|e| panic!("{e}"))
}

/// The errors of `item`, guarding `items` and `lists`.
fn refused(item: &ItemFn) -> String {
    run(quote!(owner = "items.owner_id, lists.user_id"), None, item).expect_err("a refusal")
}

fn assert_refused(item: &ItemFn, says: &[&str]) {
    let errors = refused(item);
    for part in says {
        assert!(errors.contains(part), "expected {part:?} in:\n{errors}");
    }
}

/// The definition of `items`, the fn's first table.
fn items(deny: &str) -> TokenStream {
    let deny = syn::Ident::new(deny, proc_macro2::Span::call_site());
    quote! {
        const __GUARDED_TABLE_0: ::guarded::__private::dynamo::Table = ::guarded::__private::dynamo::Table {
            name: "items",
            owner: "owner_id",
            deny: ::guarded::__private::Deny::#deny,
            conditions: &[],
            version: ::core::option::Option::None,
            valid: &[],
            grants: #NO_GRANTS,
            scope: &[],
        };
    }
}

/// A table's `Grants` when the policy has none.
const NO_GRANTS: NoGrants = NoGrants;

struct NoGrants;

impl quote::ToTokens for NoGrants {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let none = quote!(::core::option::Option::None);
        tokens.extend(quote! {
            ::guarded::__private::dynamo::Grants {
                read: #none,
                update: #none,
                update_attributes: #none,
                delete: #none,
            }
        });
    }
}

#[test]
fn an_update_goes_to_the_runtime_with_its_table() {
    let item: ItemFn = syn::parse_quote! {
        async fn rename(guard: Guard<DynamoDb>, id: String, title: String) -> Result<(), AppError> {
            let sub = guard.subject();
            guard.client().update_item()
                .table_name("items")
                .key("id", AttributeValue::S(id))
                .update_expression("SET title = :t")
                .expression_attribute_values(":t", AttributeValue::S(title))
                .condition_expression("attribute_exists(id)")
                .send()
                .await?;
            Ok(())
        }
    };
    let table = items("NotFound");
    let want = quote! {
        async fn rename(guard: Guard<DynamoDb>, id: String, title: String) -> Result<(), AppError> {
            #table
            let sub = guard.subject();
            ::guarded::__private::dynamo::update_item(
                &guard,
                &__GUARDED_TABLE_0,
                &[],
                ::guarded::__private::dynamo::client(&guard).update_item()
                    .table_name("items")
                    .key("id", AttributeValue::S(id))
                    .update_expression("SET title = :t")
                    .expression_attribute_values(":t", AttributeValue::S(title))
                    .condition_expression("attribute_exists(id)")
            )
            .await?;
            Ok(())
        }
    };
    assert_eq!(expand(&item), want.to_string());
}

#[test]
fn every_item_operation_is_expanded() {
    for op in ["get_item", "put_item", "delete_item", "query", "scan"] {
        let op = syn::Ident::new(op, proc_macro2::Span::call_site());
        let item: ItemFn = syn::parse_quote! {
            async fn f(guard: Guard<guarded::DynamoDb, MyClaims>) -> Result<(), E> {
                let out = guard.client().#op().table_name("items").send().await?;
                Ok(())
            }
        };
        let out = expand(&item);
        let call =
            format!(":: guarded :: __private :: dynamo :: {op} (& guard , & __GUARDED_TABLE_0");
        assert!(out.contains(&call), "{out}");
        let builder =
            quote!(::guarded::__private::dynamo::client(&guard).#op().table_name("items"));
        assert!(out.contains(&builder.to_string()), "{out}");
        assert!(!out.contains("send"), "{out}");
    }
}

#[test]
fn a_transaction_is_checked_against_every_guarded_table() {
    let item: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb>, put: TransactWriteItem) -> Result<(), E> {
            guard.client().transact_write_items().transact_items(put).send().await?;
            Ok(())
        }
    };
    let out = run(
        quote!(owner = "items.owner_id, lists.user_id", deny = 403),
        None,
        &item,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let items = items("Forbidden");
    let definitions = quote! {
        #items
        const __GUARDED_TABLE_1: ::guarded::__private::dynamo::Table = ::guarded::__private::dynamo::Table {
            name: "lists",
            owner: "user_id",
            deny: ::guarded::__private::Deny::Forbidden,
            conditions: &[],
            version: ::core::option::Option::None,
            valid: &[],
            grants: #NO_GRANTS,
            scope: &[],
        };
    };
    assert!(out.contains(&definitions.to_string()), "{out}");
    let want = quote! {
        ::guarded::__private::dynamo::transact_write_items(
            &guard,
            &[__GUARDED_TABLE_0, __GUARDED_TABLE_1],
            &[],
            &[],
            ::guarded::__private::dynamo::client(&guard).transact_write_items().transact_items(put)
        )
    };
    assert!(out.contains(&want.to_string()), "{out}");
}

#[test]
fn requests_inside_closures_and_values_are_expanded_and_the_file_is_tracked() {
    let item: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb>) -> Result<(), E> {
            let run = || async {
                guard.client().get_item().table_name("items")
                    .key("owner_id", AttributeValue::S(guard.subject().to_string()))
                    .send().await
            };
            tracing::info!(sub = %guard.subject(), "read");
            run().await?;
            Ok(())
        }
    };
    let out = run(
        quote!(),
        Some("[tables.items]\nowner = \"owner_id\"\n"),
        &item,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.contains("include_bytes ! (\"guarded.toml\")"), "{out}");
    assert!(
        out.contains(":: guarded :: __private :: dynamo :: get_item (& guard"),
        "{out}"
    );
}

#[test]
fn operations_that_cannot_carry_the_condition_are_refused() {
    for (op, says) in [
        (
            "frobnicate",
            "cannot be guarded: the guard conditions requests on items only",
        ),
        ("create_table", "outside #[guarded] fns"),
        ("batch_write_item", "takes no condition expression"),
        ("batch_get_item", "use `get_item` for each key"),
        (
            "execute_statement",
            "PartiQL is a string the macro cannot rewrite",
        ),
        ("execute_transaction", "PartiQL"),
    ] {
        let op = syn::Ident::new(op, proc_macro2::Span::call_site());
        let item: ItemFn = syn::parse_quote! {
            async fn f(guard: Guard<DynamoDb>) -> Result<(), E> {
                guard.client().#op().send().await?;
                Ok(())
            }
        };
        assert_refused(&item, &[&format!("`{op}` cannot be guarded"), says]);
    }
}

#[test]
fn the_table_is_one_literal_naming_a_guarded_table() {
    let cases: [(ItemFn, &str); 4] = [
        (
            syn::parse_quote!(
                async fn f(guard: Guard<DynamoDb>) -> R {
                    guard.client().get_item().key("id", k).send().await
                }
            ),
            "name the table of `get_item` in this chain with `.table_name(\"...\")`",
        ),
        (
            syn::parse_quote!(
                async fn f(guard: Guard<DynamoDb>, t: &str) -> R {
                    guard.client().scan().table_name(t).send().await
                }
            ),
            "the table must be a string literal",
        ),
        (
            syn::parse_quote!(
                async fn f(guard: Guard<DynamoDb>) -> R {
                    guard.client().query().table_name("users").send().await
                }
            ),
            "`users` is not a guarded table of this fn, which guards `items`, `lists`",
        ),
        (
            syn::parse_quote!(
                async fn f(guard: Guard<DynamoDb>) -> R {
                    guard
                        .client()
                        .query()
                        .table_name("items")
                        .table_name("lists")
                        .send()
                        .await
                }
            ),
            "the table is named twice",
        ),
    ];
    for (item, says) in cases {
        assert_refused(&item, &[says]);
    }
}

#[test]
fn methods_that_change_or_hide_the_request_are_refused() {
    for (method, says) in [
        ("customize", "after the guard has added its condition"),
        ("config_override", "after the guard has added its condition"),
        ("set_config_override", "configure the client"),
        ("set_table_name", "must be a string literal"),
        ("expected", "use `.condition_expression(..)`"),
        ("set_attribute_updates", "use `.update_expression(..)`"),
        ("conditional_operator", "`AND` or `OR`"),
        ("key_conditions", "`.key_condition_expression(..)`"),
        ("scan_filter", "`.filter_expression(..)`"),
        ("attributes_to_get", "`.projection_expression(..)`"),
        ("into_paginator", "page with `.exclusive_start_key(..)`"),
    ] {
        let method = syn::Ident::new(method, proc_macro2::Span::call_site());
        let item: ItemFn = syn::parse_quote! {
            async fn f(guard: Guard<DynamoDb>) -> R {
                guard.client().put_item().table_name("items").#method(x).send().await
            }
        };
        assert_refused(&item, &[&format!("`.{method}(..)` cannot be part"), says]);
    }
}

#[test]
fn a_request_is_sent_where_it_is_built() {
    let cases: [(ItemFn, &str); 6] = [
        (
            syn::parse_quote!(
                async fn f(guard: Guard<DynamoDb>) -> R {
                    helper(&guard).await
                }
            ),
            "hand helpers the subject or the claims, not the guard",
        ),
        (
            syn::parse_quote!(
                async fn f(guard: Guard<DynamoDb>) -> R {
                    let c = guard.client();
                    c.scan().send().await
                }
            ),
            "the client cannot be kept or handed on",
        ),
        (
            syn::parse_quote!(
                async fn f(guard: Guard<DynamoDb>) -> R {
                    let b = guard.client().scan().table_name("items");
                    b.send().await
                }
            ),
            "end this chain with `.send()` in the same expression",
        ),
        (
            syn::parse_quote!(
                async fn f(guard: Guard<DynamoDb>) -> R {
                    guard
                        .client()
                        .scan()
                        .table_name("items")
                        .send()
                        .boxed()
                        .await
                }
            ),
            "nothing follows `.send()`",
        ),
        (
            syn::parse_quote!(
                async fn f(guard: Guard<DynamoDb>) -> R {
                    let g = Wrapper { guard };
                    g.run().await
                }
            ),
            "runs requests only as one chain",
        ),
        (
            syn::parse_quote!(
                async fn f(guard: Guard<DynamoDb>) -> R {
                    debug!("{:?}", guard.client());
                    Ok(())
                }
            ),
            "inside another macro the guard can only be read",
        ),
    ];
    for (item, says) in cases {
        assert_refused(&item, &[says]);
    }
}

/// The policy the condition tests read: the demo's archive rule, a version, and a delete rule.
const CONDITIONS: &str = "[tables.items]\nowner = \"owner_id\"\nversion = \"version\"\n\n\
                      [tables.items.conditions.archived]\nupdate = \"NOT items.archived\"\n\n\
                      [tables.items.conditions.locked]\n\
                      delete = \"items.stage = 'draft' OR (items.stage <> 2 AND items.hold IS NULL)\"\n";

#[test]
fn conditions_and_the_version_go_to_the_runtime_with_the_table() {
    let item: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb>) -> R {
            guard.client().update_item().table_name("items").send().await
        }
    };
    let out = run(quote!(), Some(CONDITIONS), &item).unwrap_or_else(|e| panic!("{e}"));
    let dynamo = quote!(::guarded::__private::dynamo);
    let archived = quote! {
        #dynamo::Condition {
            code: "archived",
            update: ::core::option::Option::Some(#dynamo::Rule::Not(&#dynamo::Rule::Eq("archived", #dynamo::Value::Bool(true)))),
            delete: ::core::option::Option::None
        }
    };
    let locked = quote! {
        #dynamo::Rule::Or(&[
            #dynamo::Rule::Eq("stage", #dynamo::Value::Str("draft")),
            #dynamo::Rule::And(&[
                #dynamo::Rule::Not(&#dynamo::Rule::Eq("stage", #dynamo::Value::Num("2"))),
                #dynamo::Rule::Not(&#dynamo::Rule::Exists("hold"))
            ])
        ])
    };
    let version = quote!(version: ::core::option::Option::Some("version"));
    for part in [archived, locked, version] {
        assert!(out.contains(&part.to_string()), "{part}\nnot in\n{out}");
    }
}

#[test]
fn a_condition_dynamodb_cannot_decide_on_the_item_is_refused() {
    let item: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb>) -> R {
            guard.client().update_item().table_name("items").send().await
        }
    };
    for (condition, says) in [
        ("items.title LIKE 'x%'", "cannot be decided by DynamoDB"),
        ("items.stage IN (1, 2)", "cannot be decided by DynamoDB"),
        ("items.size > items.limit", "cannot be decided by DynamoDB"),
        ("lower(items.title) = 'x'", "cannot be decided by DynamoDB"),
        ("items.a = items.b", "cannot be decided by DynamoDB"),
        ("items.a = NULL", "cannot be decided by DynamoDB"),
    ] {
        let file = format!(
            "[tables.items]\nowner = \"owner_id\"\n\n[tables.items.conditions.c]\nupdate = {condition:?}\n"
        );
        let e = run(quote!(), Some(&file), &item).expect_err(condition);
        assert!(e.contains("the condition `c` of `items`"), "{e}");
        assert!(e.contains(says), "{condition}: {e}");
    }
}

#[test]
fn token_and_grant_rules_go_to_the_runtime_as_checks_of_other_items() {
    let item: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb>) -> R {
            guard.client().delete_item().table_name("items").send().await
        }
    };
    let file = r#"
[token]
valid = """NOT EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = :jti)
AND NOT EXISTS (SELECT 1 FROM users c WHERE c.id = :sub AND c.tokens_valid_after > :iat)"""

[tables.items]
owner = "owner_id"

[tables.items.grant]
read = "EXISTS (SELECT 1 FROM shares s WHERE s.item_id = items.id AND s.user_id = :sub)"
update = "EXISTS (SELECT 1 FROM shares s WHERE items.id = s.item_id AND s.user_id = :sub AND s.can_write)"
update_columns = ["title", "version"]
delete = "EXISTS (SELECT 1 FROM users a WHERE a.id = :sub AND a.role = 'admin')"
"#;
    let out = run(quote!(), Some(file), &item).unwrap_or_else(|e| panic!("{e}"));
    let dynamo = quote!(::guarded::__private::dynamo);
    let none = quote!(::core::option::Option::None);
    let some = quote!(::core::option::Option::Some);
    let revoked = quote! {
        #dynamo::Check {
            table: "revoked_tokens",
            key: &[("jti", #dynamo::Source::Claim(#dynamo::Claim::Jti))],
            exists: false,
            condition: #none,
        }
    };
    let cutoff = quote! {
        #dynamo::Check {
            table: "users",
            key: &[("id", #dynamo::Source::Claim(#dynamo::Claim::Sub))],
            exists: false,
            condition: #some(#dynamo::Rule::Cmp(
                "tokens_valid_after", #dynamo::Order::Gt, #dynamo::Value::Claim(#dynamo::Claim::Iat)
            )),
        }
    };
    let share = |condition: TokenStream| {
        quote! {
            #dynamo::Check {
                table: "shares",
                key: &[
                    ("item_id", #dynamo::Source::Item("id")),
                    ("user_id", #dynamo::Source::Claim(#dynamo::Claim::Sub))
                ],
                exists: true,
                condition: #condition,
            }
        }
    };
    let (read, update) = (
        share(none.clone()),
        share(quote!(#some(#dynamo::Rule::Eq("can_write", #dynamo::Value::Bool(true))))),
    );
    let parts = [
        quote!(valid: &[#revoked, #cutoff],),
        quote!(read: #some(#read),),
        quote!(update: #some(#update),),
        quote!(update_attributes: #some(&["title", "version"]),),
        quote! {
            delete: #some(#dynamo::Check {
                table: "users",
                key: &[("id", #dynamo::Source::Claim(#dynamo::Claim::Sub))],
                exists: true,
                condition: #some(#dynamo::Rule::Eq("role", #dynamo::Value::Str("admin"))),
            }),
        },
    ];
    for part in parts {
        assert!(out.contains(&part.to_string()), "{part}\nnot in\n{out}");
    }
}

#[test]
fn checks_that_name_no_one_item_and_sql_keys_are_refused() {
    let item: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb>) -> R {
            guard.client().get_item().table_name("items").send().await
        }
    };
    let token = |valid: &str| {
        format!("[token]\nvalid = {valid:?}\n\n[tables.items]\nowner = \"owner_id\"\n")
    };
    let grant = |delete: &str| {
        format!(
            "[tables.items]\nowner = \"owner_id\"\n\n[tables.items.grant]\ndelete = {delete:?}\n"
        )
    };
    let refused = [
        (
            token(
                "NOT EXISTS (SELECT 1 FROM r WHERE r.jti = :jti) OR NOT EXISTS (SELECT 1 FROM u WHERE u.id = :sub)",
            ),
            "is not a sub-select",
        ),
        (
            token("NOT EXISTS (SELECT 1 FROM r JOIN u ON u.id = r.user_id WHERE r.jti = :jti)"),
            "reads more than one item by its key",
        ),
        (
            token("NOT EXISTS (SELECT 1 FROM r WHERE r.jti = :jti LIMIT 1)"),
            "reads more than one item by its key",
        ),
        (
            token("NOT EXISTS (SELECT 1 FROM r WHERE r.kind = 'x')"),
            "compares 0 of its attributes",
        ),
        (
            token("NOT EXISTS (SELECT 1 FROM r WHERE r.a = :sub AND r.b = :jti AND r.c = :iat)"),
            "compares 3 of its attributes",
        ),
        (
            token("NOT EXISTS (SELECT 1 FROM r WHERE r.jti = :jti AND r.kind LIKE 'x%')"),
            "cannot be decided by DynamoDB",
        ),
        (
            grant("EXISTS (SELECT 1 FROM admins a WHERE a.id = :sub AND a.org = :org)"),
            "a claim of the application's type",
        ),
        (
            grant("EXISTS (SELECT 1 FROM admins a WHERE a.id = :sub AND a.id = :jti)"),
            "is compared twice",
        ),
    ];
    for (file, says) in refused {
        let e = run(quote!(), Some(&file), &item).expect_err(&file);
        assert!(e.contains(says), "{file}: {e}");
    }
    let e = run(
        quote!(owner = "items.owner_id", public_read = "items"),
        None,
        &item,
    )
    .expect_err("refused");
    assert!(
        e.contains("`public_read` is not supported on DynamoDB"),
        "{e}"
    );
    let e = run(
        quote!(owner = "items.owner_id", dialect = "sqlite"),
        None,
        &item,
    )
    .expect_err("refused");
    assert!(e.contains("`dialect` names a SQL database"), "{e}");
}

#[test]
fn an_unguarded_table_goes_to_the_runtime_without_the_owner_and_writes_return_nothing_under_token_checks()
 {
    let item: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb>) -> R {
            guard.client().put_item().table_name("audit").send().await
        }
    };
    let out = run(
        quote!(owner = "items.owner_id", unguarded = "audit"),
        None,
        &item,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let definition = quote! {
        const __GUARDED_TABLE_1: ::guarded::__private::dynamo::Unguarded =
            ::guarded::__private::dynamo::Unguarded { name: "audit", valid: &[] };
    };
    assert!(out.contains(&definition.to_string()), "{out}");
    let call = quote! {
        ::guarded::__private::dynamo::unguarded::put_item(
            &guard,
            &__GUARDED_TABLE_1,
            ::guarded::__private::dynamo::client(&guard).put_item().table_name("audit")
        )
    };
    assert!(out.contains(&call.to_string()), "{out}");
    let returning: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb>) -> R {
            guard.client().update_item().table_name("items")
                .return_values(ReturnValue::AllNew).send().await
        }
    };
    let file = "[token]\nvalid = \"NOT EXISTS (SELECT 1 FROM r WHERE r.jti = :jti)\"\n\n[tables.items]\nowner = \"owner_id\"\n";
    let e = run(quote!(), Some(file), &returning).expect_err("refused");
    assert!(
        e.contains("DynamoDB returns no values from a transaction"),
        "{e}"
    );
    run(quote!(owner = "items.owner_id"), None, &returning)
        .unwrap_or_else(|e| panic!("without checks: {e}"));
}

#[test]
fn a_dynamo_guard_takes_its_own_path_and_errors_keep_the_signature() {
    let out = crate::expand::attribute(
        quote!(owner = "items.owner_id"),
        quote! {
            async fn f(guard: Guard<DynamoDb>) -> R {
                guard.client().batch_write_item().send().await
            }
        },
        &crate::Context::default(),
    )
    .0
    .to_string();
    assert!(
        out.contains("`batch_write_item` cannot be guarded"),
        "{out}"
    );
    assert!(out.contains("async fn f"), "{out}");
}

#[test]
fn a_dynamodb_table_name_may_hold_dashes_and_dots_but_not_on_sql() {
    let item: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb>) -> R {
            guard.client().get_item().table_name("prod-app.items").send().await
        }
    };
    let out = run(quote!(owner = "prod-app.items.owner_id"), None, &item)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.contains(r#"name : "prod-app.items" , owner : "owner_id""#),
        "{out}"
    );
    let sql = crate::expand::attribute(
        quote!(owner = "prod-app.items.owner_id"),
        quote! {
            async fn f(mut guard: Guard<Sqlite>) -> Result<(), Error> {
                sqlx::query("DELETE FROM items").execute(&mut guard).await?;
                Ok(())
            }
        },
        &crate::Context::default(),
    )
    .0
    .to_string();
    assert!(sql.contains("is not a SQL table name"), "{sql}");
    for bad in ["a-.owner_id", "it ems.owner_id", "items.owner-id"] {
        let e = run(quote!(owner = #bad), None, &item).expect_err(bad);
        assert!(e.contains("owner must be `table.column`"), "{bad}: {e}");
    }
}

#[test]
fn a_request_on_another_client_is_confirmed_by_type_or_refused() {
    let item: ItemFn = syn::parse_quote! {
        async fn f(guard: Guard<DynamoDb>, State(app): State<App>) -> Result<(), E> {
            app.client.delete_item().table_name("items").send().await?;
            Client::get_item(&app.client).send().await?;
            let q = uri.query();
            Ok(())
        }
    };
    let out = expand(&item);
    let use_pass = quote!(
        use ::guarded::__private::dynamo::Pass as _;
    )
    .to_string();
    assert!(out.contains(&use_pass), "{out}");
    for probed in [
        quote!(
            ::guarded::__private::dynamo::probe::delete_item(app.client.delete_item())
                .__guarded_checked()
                .table_name("items")
        ),
        quote!(
            ::guarded::__private::dynamo::probe::get_item(Client::get_item(&app.client))
                .__guarded_checked()
                .send()
        ),
        quote!(::guarded::__private::dynamo::probe::query(uri.query()).__guarded_checked()),
    ] {
        assert!(out.contains(&probed.to_string()), "{probed}\nin {out}");
    }
    for body in [
        quote!(input.send_with(&app.client).await?;),
        quote!(DeleteItemInputBuilder::send_with(input, &app.client).await?;),
        quote!(let send = Client::delete_item;),
        quote!(dbg!(app.client.delete_item().send().await);),
    ] {
        let item: ItemFn = syn::parse_quote! {
            async fn f(guard: Guard<DynamoDb>) -> Result<(), E> { #body Ok(()) }
        };
        assert_refused(&item, &["a client the guard does not see"]);
    }
}

#[test]
fn every_operation_of_the_sdks_client_is_probed() {
    let client = crate::sqlx_api::source("aws-sdk-dynamodb").join("client");
    let mut operations: Vec<String> = std::fs::read_dir(client)
        .expect("the client's files")
        .map(|file| file.expect("a file").path())
        .filter_map(|file| Some(file.file_stem()?.to_str()?.to_owned()))
        .filter(|name| !name.starts_with("customize"))
        .collect();
    operations.sort();
    let mut ours: Vec<&str> = super::operation::Operation::ALL
        .iter()
        .map(|op| op.name())
        .collect();
    ours.sort_unstable();
    assert_eq!(operations, ours);
}

mod scope;
mod stages;
