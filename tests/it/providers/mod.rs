//! Tokens as identity providers issue them: Auth0, Amazon Cognito (access and ID tokens),
//! Keycloak, Okta, Google, Firebase and Microsoft Entra ID v2. Each provider's key set, header
//! and claims are shaped as its documentation shows them (`fixtures.rs`), signed here with the
//! test keys; each verifies with the settings its documentation gives, and the usual forgeries
//! of each are refused with their code. The guard's own path is checked on SQLite: a provider's
//! token renames its subject's row, a forged one renames nothing. No network: every key set is
//! a string.

mod fixtures;
mod keys;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode, header};
use axum::routing::put;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use guarded::jwt::Alg;
use guarded::{Claims, Guard, Verifier, guarded};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};
use sqlx::Sqlite;
use tower::ServiceExt;

use crate::common::{self, AppState, item, now, row, seed};
use fixtures::{NEXT_KID, Provider};

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.payload.signature` over these exact JSON texts.
fn sign_raw(header: &str, payload: &str, alg: Algorithm, key: &EncodingKey) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).expect("sign");
    format!("{input}.{signature}")
}

fn sign(header: &Value, claims: &Value, alg: Algorithm, key: &EncodingKey) -> String {
    sign_raw(&header.to_string(), &claims.to_string(), alg, key)
}

/// The provider's token, signed with the key its set names by the header's `kid`.
fn good(p: &Provider) -> String {
    sign(&p.header, &p.claims, Algorithm::RS256, &keys::current())
}

/// A verifier over the provider's key set with its documented settings.
fn verifier(p: &Provider) -> Verifier {
    let builder = Verifier::builder()
        .jwk_set(&p.jwks.to_string())
        .unwrap_or_else(|e| panic!("{}: key set refused: {e}", p.name));
    (p.settings)(builder)
        .build()
        .unwrap_or_else(|e| panic!("{}: verifier: {e}", p.name))
}

fn with(value: &Value, name: &str, member: Value) -> Value {
    let mut value = value.clone();
    value[name] = member;
    value
}

fn without(value: &Value, name: &str) -> Value {
    let mut value = value.clone();
    value.as_object_mut().expect("object").remove(name);
    value
}

/// The forgeries every provider's token must survive: (what, token, the code refusing it).
/// Those of the header and the key here, those of the claims in `claim_forgeries`.
fn forgeries(p: &Provider) -> Vec<(String, String, &'static str)> {
    let (h, c) = (&p.header, &p.claims);
    let rs =
        |header: &Value, claims: &Value| sign(header, claims, Algorithm::RS256, &keys::current());
    let attacker_jwk = keys::rsa_members(&keys::attacker());
    let good = good(p);
    let signature = good.rsplit('.').next().expect("signature").to_owned();
    let mut out = vec![
        (
            "alg none, no signature".into(),
            format!(
                "{}.{}.",
                b64(with(h, "alg", json!("none")).to_string()),
                b64(c.to_string())
            ),
            "malformed",
        ),
        (
            "alg none, the signature kept".into(),
            format!(
                "{}.{}.{signature}",
                b64(with(h, "alg", json!("none")).to_string()),
                b64(c.to_string())
            ),
            "bad_algorithm",
        ),
        (
            "RS256 -> HS256, the public key as the secret".into(),
            sign(
                &with(h, "alg", json!("HS256")),
                c,
                Algorithm::HS256,
                &EncodingKey::from_secret(keys::RSA_PUBLIC.as_bytes()),
            ),
            "bad_algorithm",
        ),
        (
            "RS256 -> PS256 with the provider's key".into(),
            sign(
                &with(h, "alg", json!("PS256")),
                c,
                Algorithm::PS256,
                &keys::current(),
            ),
            "bad_algorithm",
        ),
        (
            "signed by a key the provider does not publish".into(),
            sign(h, c, Algorithm::RS256, &keys::attacker()),
            "bad_signature",
        ),
        (
            "the attacker's key in a jwk header".into(),
            sign(
                &with(h, "jwk", attacker_jwk),
                c,
                Algorithm::RS256,
                &keys::attacker(),
            ),
            "key_in_header",
        ),
        ("no kid".into(), rs(&without(h, "kid"), c), "kid_required"),
        (
            "a kid the set does not hold".into(),
            rs(&with(h, "kid", json!("rotated-away")), c),
            "unknown_kid",
        ),
    ];
    out.extend(claim_forgeries(p));
    out
}

/// The forgeries of the claims, each signed with the provider's own key.
fn claim_forgeries(p: &Provider) -> Vec<(String, String, &'static str)> {
    let (h, c) = (&p.header, &p.claims);
    let rs =
        |header: &Value, claims: &Value| sign(header, claims, Algorithm::RS256, &keys::current());
    let now = now();
    let (recipient, someone_else, refusal) = &p.wrong_recipient;
    let good = good(p);
    let (head, _, signature) = {
        let mut parts = good.split('.');
        let mut next = || parts.next().expect("segment").to_owned();
        (next(), next(), next())
    };
    let mut out = vec![
        (
            "another issuer".into(),
            rs(h, &with(c, "iss", json!("https://attacker.example/"))),
            "bad_issuer",
        ),
        (
            "no issuer".into(),
            rs(h, &without(c, "iss")),
            "missing_claim",
        ),
        (
            format!("{recipient} naming someone else"),
            rs(h, &with(c, recipient, someone_else.clone())),
            refusal,
        ),
        (
            format!("no {recipient}"),
            rs(h, &without(c, recipient)),
            "missing_claim",
        ),
        (
            "expired two minutes ago".into(),
            rs(
                h,
                &with(&with(c, "exp", json!(now - 120)), "iat", json!(now - 3720)),
            ),
            "expired",
        ),
        (
            "not valid before ten minutes from now".into(),
            rs(h, &with(c, "nbf", json!(now + 600))),
            "not_yet_valid",
        ),
        (
            "sub changed after signing".into(),
            format!(
                "{head}.{}.{signature}",
                b64(with(c, "sub", json!("admin")).to_string())
            ),
            "bad_signature",
        ),
    ];
    let claims = c.to_string();
    let duplicated = format!(r#"{},"sub":"admin"}}"#, &claims[..claims.len() - 1]);
    out.push((
        "sub twice".into(),
        sign_raw(
            &h.to_string(),
            &duplicated,
            Algorithm::RS256,
            &keys::current(),
        ),
        "duplicate_member",
    ));
    out
}

#[test]
fn each_providers_token_verifies_with_its_documented_settings() {
    for p in fixtures::all() {
        let verifier = verifier(&p);
        let claims: Claims = verifier
            .verify(&good(&p))
            .unwrap_or_else(|e| panic!("{}: refused: {e}", p.name));
        assert_eq!(
            Some(claims.sub.as_str()),
            p.claims["sub"].as_str(),
            "{}",
            p.name
        );
        assert_eq!(claims.nbf, p.claims["nbf"].as_u64(), "{}", p.name);
        // The set's other key verifies the tokens it signs: a rotation the set announced.
        let rotated = sign(
            &with(&p.header, "kid", json!(NEXT_KID)),
            &p.claims,
            Algorithm::RS256,
            &keys::next(),
        );
        assert!(
            verifier.verify::<Claims>(&rotated).is_ok(),
            "{}: next key",
            p.name
        );
    }
}

#[test]
fn the_usual_forgeries_of_each_provider_are_refused() {
    let mut failures = Vec::new();
    let mut refused = 0;
    for p in fixtures::all() {
        let verifier = verifier(&p);
        for (what, token, code) in forgeries(&p) {
            match verifier.verify::<Claims>(&token) {
                Err(e) if e.code() == code => refused += 1,
                other => failures.push(format!(
                    "{}, {what}: {:?}, want {code}",
                    p.name,
                    other.map(|c| c.sub).map_err(|e| e.code())
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(refused, 8 * 16, "every forgery of every provider ran");
}

#[test]
fn auth0s_userinfo_audience_is_refused_with_audience_alone() {
    let p = fixtures::auth0();
    let alone = Verifier::builder()
        .jwk_set(&p.jwks.to_string())
        .expect("set")
        .issuer(fixtures::AUTH0_ISS)
        .audience(fixtures::AUTH0_API)
        .audience_alone()
        .build()
        .expect("verifier");
    let code = |token: &str| alone.verify::<Claims>(token).err().map(|e| e.code());
    assert_eq!(code(&good(&p)), Some("bad_audience"));
    let api_only = with(&p.claims, "aud", json!([fixtures::AUTH0_API]));
    let token = sign(&p.header, &api_only, Algorithm::RS256, &keys::current());
    assert_eq!(code(&token), None);
}

#[test]
fn cognitos_access_and_id_tokens_are_not_interchangeable() {
    let (access, id) = (fixtures::cognito_access(), fixtures::cognito_id());
    let (for_access, for_id) = (verifier(&access), verifier(&id));
    let code = |v: &Verifier, token: &str| v.verify::<Claims>(token).err().map(|e| e.code());
    // An ID token names the client in `aud`, which an API expecting access tokens has none of.
    assert_eq!(code(&for_access, &good(&id)), Some("bad_audience"));
    assert_eq!(code(&for_id, &good(&access)), Some("missing_claim"));
    let id_use = with(&access.claims, "token_use", json!("id"));
    let token = sign(&access.header, &id_use, Algorithm::RS256, &keys::current());
    assert_eq!(code(&for_access, &token), Some("bad_token_use"));
    let no_use = without(&access.claims, "token_use");
    let token = sign(&access.header, &no_use, Algorithm::RS256, &keys::current());
    assert_eq!(code(&for_access, &token), Some("missing_claim"));
}

#[test]
fn entras_keys_without_alg_take_the_configured_algorithm_never_the_tokens() {
    let p = fixtures::entra();
    let jwks = p.jwks.to_string();
    let issuer = format!(
        "https://login.microsoftonline.com/{}/v2.0",
        fixtures::ENTRA_TENANT
    );
    let set = || {
        Verifier::builder()
            .jwk_set(&jwks)
            .expect("set")
            .issuer(&issuer)
    };
    let unset = set()
        .audience(fixtures::ENTRA_APP)
        .build()
        .expect_err("no default_alg");
    assert!(unset.to_string().contains("default_alg"), "{unset}");
    let ec = set()
        .default_alg(Alg::ES256)
        .build()
        .expect_err("not an RSA algorithm");
    assert!(ec.to_string().contains("RS* or PS*"), "{ec}");
    // Fixed to PS256 by the configuration: an RS256 token is refused, whatever it says.
    let ps = set()
        .audience(fixtures::ENTRA_APP)
        .default_alg(Alg::PS256)
        .build()
        .expect("verifier");
    let code = |token: &str| ps.verify::<Claims>(token).err().map(|e| e.code());
    assert_eq!(code(&good(&p)), Some("bad_algorithm"));
    let pss = sign(
        &with(&p.header, "alg", json!("PS256")),
        &p.claims,
        Algorithm::PS256,
        &keys::current(),
    );
    assert_eq!(code(&pss), None);
    // Another tenant's token, signed with the same (shared, multi-tenant) keys.
    let other = with(
        &p.claims,
        "iss",
        json!("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"),
    );
    let token = sign(&p.header, &other, Algorithm::RS256, &keys::current());
    assert_eq!(
        verifier(&p)
            .verify::<Claims>(&token)
            .err()
            .map(|e| e.code()),
        Some("bad_issuer")
    );
}

#[guarded(owner = "items.owner_id")]
async fn rename(
    mut guard: Guard<Sqlite>,
    Path(id): Path<i64>,
) -> Result<StatusCode, guarded::Error> {
    sqlx::query("UPDATE items SET title = 'renamed' WHERE id = ?")
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn put_as(app: &Router, id: i64, token: &str) -> StatusCode {
    let request = Request::builder()
        .method("PUT")
        .uri(format!("/items/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    app.clone()
        .oneshot(request)
        .await
        .expect("infallible")
        .status()
}

#[tokio::test]
async fn a_providers_token_writes_its_subjects_row_and_a_forged_one_nothing() {
    let pool = common::sqlite().await;
    for p in fixtures::all() {
        let state = AppState {
            pool: pool.clone(),
            verifier: verifier(&p),
        };
        let app = Router::new()
            .route("/items/{id}", put(rename))
            .with_state(state);
        let sub = p.claims["sub"].as_str().expect("sub");
        let mine = seed(&pool, "original", sub).await;
        let theirs = seed(&pool, "original", "someone-else").await;
        assert_eq!(
            put_as(&app, mine, &good(&p)).await,
            StatusCode::NO_CONTENT,
            "{}",
            p.name
        );
        assert_eq!(
            row(&pool, mine).await,
            Some(item("renamed", sub)),
            "{}",
            p.name
        );
        assert_eq!(
            put_as(&app, theirs, &good(&p)).await,
            StatusCode::NOT_FOUND,
            "{}",
            p.name
        );
        assert_eq!(
            row(&pool, theirs).await,
            Some(item("original", "someone-else"))
        );
        let untouched = seed(&pool, "original", sub).await;
        for (what, token, _) in forgeries(&p) {
            let status = put_as(&app, untouched, &token).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{}: {what}", p.name);
        }
        assert_eq!(
            row(&pool, untouched).await,
            Some(item("original", sub)),
            "{}",
            p.name
        );
    }
}
