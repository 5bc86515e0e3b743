//! Crafted bad tokens, each sent as a real HTTP request to a guarded handler on SQLite.
//!
//! Every case seeds its own item owned by `alice`, sends `PUT /items/{id}` with the case's
//! credentials, and checks three things: the status (401, or 400 for the transport cases RFC
//! 6750 names), that the row is exactly as seeded, and that the response body echoes no part of
//! the token. Positive controls run in the same table: a good token must get through and change
//! its row, so a handler that refused everything would fail this test.

use std::fmt::Write as _;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode, header};
use axum::routing::put;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use guarded::jwt::{Alg, Key};
use guarded::{Guard, Verifier, guarded};
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Sqlite;
use tower::ServiceExt;

use crate::common::{AppState, SECRET, now, row, seed};

const ISS: &str = "https://id.example";
const AUD: &str = "items-api";
const RSA_PRIVATE: &str = include_str!("../keys/rsa_private.pem");
const RSA_PUBLIC: &str = include_str!("../keys/rsa_public.pem");
const EC_PRIVATE: &str = include_str!("../keys/ec_private.pem");
const EC_PUBLIC: &str = include_str!("../keys/ec_public.pem");
const ED_PRIVATE: &str = include_str!("../keys/ed25519_private.pem");
const ED_PUBLIC: &str = include_str!("../keys/ed25519_public.pem");
const ATTACKER_RSA_PRIVATE: &str = include_str!("../keys/attacker_rsa_private.pem");

#[derive(Deserialize)]
struct Title {
    title: String,
}

#[guarded(owner = "items.owner_id")]
async fn rename_item(
    mut guard: Guard<Sqlite>,
    Path(id): Path<i64>,
    Json(body): Json<Title>,
) -> Result<StatusCode, guarded::Error> {
    sqlx::query("UPDATE items SET title = ? WHERE id = ?")
        .bind(&body.title)
        .bind(id)
        .execute(&mut guard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The verifiers the cases run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Config {
    /// A key set (`hs`, `rs`, `ec`, `ed`), issuer, audience and `typ` configured.
    KeySet,
    /// One RS256 public key without a kid: the classic target of algorithm confusion.
    Rs256Only,
    /// One HS256 key and the largest token cap (64 KiB), so deep JSON reaches the parser.
    Roomy,
}

fn verifier(config: Config) -> Verifier {
    let policy = |b: guarded::VerifierBuilder| b.issuer(ISS).audience(AUD);
    match config {
        Config::KeySet => policy(Verifier::builder())
            .key_with_kid("hs", Key::hs256(SECRET).expect("hs"))
            .key_with_kid("rs", Key::rs256_pem(RSA_PUBLIC).expect("rs"))
            .key_with_kid("ec", Key::es256_pem(EC_PUBLIC).expect("ec"))
            .key_with_kid("ed", Key::ed25519_pem(ED_PUBLIC).expect("ed"))
            .typ("JWT")
            .build(),
        Config::Rs256Only => policy(Verifier::builder())
            .key(Key::pem(Alg::RS256, RSA_PUBLIC).expect("rs"))
            .build(),
        Config::Roomy => policy(Verifier::builder())
            .key(Key::hs256(SECRET).expect("hs"))
            .max_token_len(64 * 1024)
            .build(),
    }
    .expect("verifier")
}

/// How a case presents its credentials.
enum Auth {
    Bearer(String),
    /// The whole `Authorization` value, as bytes.
    Raw(Vec<u8>),
    None,
    Two(String, String),
    /// `?access_token=` next to a good header.
    Query(String),
}

struct Case {
    name: String,
    config: Config,
    auth: Auth,
    expect: StatusCode,
}

// ---------------------------------------------------------------------------------------------
// Crafting tokens

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn key(alg: Algorithm) -> EncodingKey {
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => EncodingKey::from_secret(SECRET),
        Algorithm::ES256 => EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).expect("ec"),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(ED_PRIVATE.as_bytes()).expect("ed"),
        _ => EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa"),
    }
}

/// `header.payload.signature` over already-encoded segments, signed with `alg` and `key`.
fn sign_segments(header: &str, payload: &str, alg: Algorithm, key: &EncodingKey) -> String {
    let input = format!("{header}.{payload}");
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).expect("sign");
    format!("{input}.{signature}")
}

/// A token with exactly these header and payload bytes.
fn jws_with(header: &str, payload: &str, alg: Algorithm, key: &EncodingKey) -> String {
    sign_segments(&b64(header), &b64(payload), alg, key)
}

/// A token signed with our own key for `alg`.
fn jws(header: &str, payload: &str, alg: Algorithm) -> String {
    jws_with(header, payload, alg, &key(alg))
}

fn header(alg: &str, kid: &str) -> String {
    json!({ "alg": alg, "typ": "JWT", "kid": kid }).to_string()
}

/// Claims every verifier here accepts.
fn claims() -> Value {
    let now = now();
    json!({ "sub": "alice", "iss": ISS, "aud": AUD, "exp": now + 600, "nbf": now - 5,
            "iat": now, "jti": "bad-tokens" })
}

fn claims_with(name: &str, value: Value) -> String {
    let mut claims = claims();
    claims[name] = value;
    claims.to_string()
}

fn claims_without(name: &str) -> String {
    let mut claims = claims();
    claims.as_object_mut().expect("object").remove(name);
    claims.to_string()
}

fn good(kid: &str, alg: Algorithm) -> String {
    let name = serde_json::to_value(alg).expect("alg");
    jws(
        &header(name.as_str().expect("name"), kid),
        &claims().to_string(),
        alg,
    )
}

fn hs(payload: &str) -> String {
    jws(&header("HS256", "hs"), payload, Algorithm::HS256)
}

// ---------------------------------------------------------------------------------------------
// The table

fn case(name: impl Into<String>, config: Config, auth: Auth, expect: StatusCode) -> Case {
    Case {
        name: name.into(),
        config,
        auth,
        expect,
    }
}

fn refused(name: impl Into<String>, token: String) -> Case {
    case(
        name,
        Config::KeySet,
        Auth::Bearer(token),
        StatusCode::UNAUTHORIZED,
    )
}

fn cases() -> Vec<Case> {
    let mut cases = positive_controls();
    cases.extend(algorithm_cases());
    cases.extend(key_choice_cases());
    cases.extend(claim_cases());
    cases.extend(audience_array_cases());
    cases.extend(encoding_cases());
    cases.extend(transport_cases());
    cases
}

fn positive_controls() -> Vec<Case> {
    let ok = StatusCode::NO_CONTENT;
    vec![
        case(
            "control: HS256 kid hs",
            Config::KeySet,
            Auth::Bearer(good("hs", Algorithm::HS256)),
            ok,
        ),
        case(
            "control: RS256 kid rs",
            Config::KeySet,
            Auth::Bearer(good("rs", Algorithm::RS256)),
            ok,
        ),
        case(
            "control: ES256 kid ec",
            Config::KeySet,
            Auth::Bearer(good("ec", Algorithm::ES256)),
            ok,
        ),
        case(
            "control: EdDSA kid ed",
            Config::KeySet,
            Auth::Bearer(good("ed", Algorithm::EdDSA)),
            ok,
        ),
        case(
            "control: RS256, single key",
            Config::Rs256Only,
            Auth::Bearer(good("x", Algorithm::RS256)),
            ok,
        ),
        case(
            "control: HS256, roomy cap",
            Config::Roomy,
            Auth::Bearer(good("x", Algorithm::HS256)),
            ok,
        ),
        {
            let raw = format!("bEaReR {}", good("hs", Algorithm::HS256)).into_bytes();
            case(
                "control: scheme is case-insensitive",
                Config::KeySet,
                Auth::Raw(raw),
                ok,
            )
        },
    ]
}

fn algorithm_cases() -> Vec<Case> {
    let payload = claims().to_string();
    let good = good("hs", Algorithm::HS256);
    let (h, p, sig) = split3(&good);
    let mut cases = Vec::new();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let token = format!("{}.{}.", b64(header(alg, "hs")), b64(&payload));
        cases.push(refused(format!("alg {alg}, no signature"), token));
    }
    let none_signed = format!("{}.{}.{sig}", b64(header("none", "hs")), b64(&payload));
    cases.push(refused("alg none, HS256 signature kept", none_signed));
    cases.push(refused("signature stripped", format!("{h}.{p}.")));
    cases.push(refused(
        "signature truncated",
        format!("{h}.{p}.{}", &sig[..sig.len() - 6]),
    ));
    let mut altered = sig.clone().into_bytes();
    altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).expect("ascii");
    cases.push(refused("signature altered", format!("{h}.{p}.{altered}")));
    let edited = b64(claims_with("sub", json!("bob")));
    cases.push(refused(
        "payload edited after signing",
        format!("{h}.{edited}.{sig}"),
    ));
    // RS256 -> HS256: the attacker signs HMAC with the (public) RSA key as the secret.
    let confused = jws_with(
        &json!({ "alg": "HS256", "typ": "JWT" }).to_string(),
        &payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()),
    );
    cases.push(case(
        "RS256 -> HS256 with the public key as secret (single key)",
        Config::Rs256Only,
        Auth::Bearer(confused),
        StatusCode::UNAUTHORIZED,
    ));
    let confused = jws_with(
        &header("HS256", "rs"),
        &payload,
        Algorithm::HS256,
        &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()),
    );
    cases.push(refused(
        "RS256 -> HS256 with the public key as secret (kid rs)",
        confused,
    ));
    for (alg, kid, name) in [
        (Algorithm::RS512, "rs", "RS512"),
        (Algorithm::PS256, "rs", "PS256"),
        (Algorithm::HS384, "hs", "HS384"),
        (Algorithm::HS512, "hs", "HS512"),
    ] {
        let token = jws(&header(name, kid), &payload, alg);
        cases.push(refused(
            format!("{name} with the {kid} key (same family)"),
            token,
        ));
    }
    let rs_single = jws(
        &json!({"alg": "PS256"}).to_string(),
        &payload,
        Algorithm::PS256,
    );
    cases.push(case(
        "PS256 on an RS256-only verifier",
        Config::Rs256Only,
        Auth::Bearer(rs_single),
        StatusCode::UNAUTHORIZED,
    ));
    cases
}

fn key_choice_cases() -> Vec<Case> {
    let payload = claims().to_string();
    let empty = EncodingKey::from_secret(b"");
    let mut cases = vec![
        refused(
            "unknown kid",
            jws(&header("HS256", "nope"), &payload, Algorithm::HS256),
        ),
        refused(
            "no kid with a key set",
            jws(
                &json!({"alg": "HS256", "typ": "JWT"}).to_string(),
                &payload,
                Algorithm::HS256,
            ),
        ),
        refused(
            "kid path traversal, signed with an empty key",
            jws_with(
                &header("HS256", "../../../../../../dev/null"),
                &payload,
                Algorithm::HS256,
                &empty,
            ),
        ),
        refused(
            "kid SQL text",
            jws_with(
                &header("HS256", "x' UNION SELECT 'secret' -- "),
                &payload,
                Algorithm::HS256,
                &EncodingKey::from_secret(b"secret"),
            ),
        ),
    ];
    // An attacker's key embedded in the header, the token signed with it.
    let attacker = EncodingKey::from_rsa_pem(ATTACKER_RSA_PRIVATE.as_bytes()).expect("attacker");
    let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&attacker, Algorithm::RS256).expect("jwk");
    let embedded = json!({ "alg": "RS256", "typ": "JWT", "kid": "rs", "jwk": jwk }).to_string();
    cases.push(refused(
        "jwk header with the attacker's key",
        jws_with(&embedded, &payload, Algorithm::RS256, &attacker),
    ));
    for (member, value) in [
        ("jwk", serde_json::to_value(&jwk).expect("jwk")),
        ("jku", json!("https://evil.example/jwks.json")),
        ("x5u", json!("https://evil.example/cert.pem")),
        ("x5c", json!(["MIIB"])),
    ] {
        let mut h = json!({ "alg": "HS256", "typ": "JWT", "kid": "hs" });
        h[member] = value;
        let token = jws(&h.to_string(), &payload, Algorithm::HS256);
        cases.push(refused(
            format!("{member} header, signed with our key"),
            token,
        ));
    }
    let typ = json!({ "alg": "HS256", "typ": "at+jwt", "kid": "hs" }).to_string();
    cases.push(refused(
        "typ other than configured",
        jws(&typ, &payload, Algorithm::HS256),
    ));
    let crit = json!({ "alg": "HS256", "typ": "JWT", "kid": "hs", "crit": ["exp"] }).to_string();
    cases.push(refused(
        "crit unknown",
        jws(&crit, &payload, Algorithm::HS256),
    ));
    let b64_false =
        json!({ "alg": "HS256", "typ": "JWT", "kid": "hs", "b64": false, "crit": ["b64"] });
    // Signed with our key, so only the header rule refuses it.
    cases.push(refused(
        "b64: false",
        jws(&b64_false.to_string(), &payload, Algorithm::HS256),
    ));
    let dup_alg = r#"{"alg":"HS256","typ":"JWT","kid":"hs","alg":"none"}"#;
    cases.push(refused(
        "duplicate alg in header",
        jws(dup_alg, &payload, Algorithm::HS256),
    ));
    cases
}

/// RFC 7519 §4.1.3: an array holding our audience is for us; one without it is not.
fn audience_array_cases() -> Vec<Case> {
    vec![
        case(
            "control: aud array holding ours",
            Config::KeySet,
            Auth::Bearer(hs(&claims_with(
                "aud",
                json!([AUD, "https://id.example/userinfo"]),
            ))),
            StatusCode::NO_CONTENT,
        ),
        refused(
            "aud array without ours",
            hs(&claims_with("aud", json!(["other-api", "items-api-2"]))),
        ),
        refused(
            "aud array with a number",
            hs(&claims_with("aud", json!([AUD, 7]))),
        ),
    ]
}

fn claim_cases() -> Vec<Case> {
    let now = now();
    let mut cases = vec![
        refused(
            "expired an hour ago",
            hs(&claims_with("exp", json!(now - 3600))),
        ),
        refused(
            "expired 45 s ago (inside jsonwebtoken's 60 s)",
            hs(&claims_with("exp", json!(now - 45))),
        ),
        refused(
            "nbf in the future",
            hs(&claims_with("nbf", json!(now + 3600))),
        ),
        refused(
            "iat in the future",
            hs(&claims_with("iat", json!(now + 3600))),
        ),
        refused(
            "exp as a string",
            hs(&claims_with("exp", json!((now + 600).to_string()))),
        ),
        refused("exp as a boolean", hs(&claims_with("exp", json!(true)))),
        refused(
            "exp as a fraction",
            hs(&claims_with(
                "exp",
                json!(f64::from(u32::try_from(now).expect("before 2106")) + 600.5),
            )),
        ),
        refused(
            "nbf as a string",
            hs(&claims_with("nbf", json!((now - 5).to_string()))),
        ),
        refused("nbf as a boolean", hs(&claims_with("nbf", json!(false)))),
        refused(
            "exp ten years out",
            hs(&claims_with("exp", json!(now + 10 * 365 * 86_400))),
        ),
        refused("exp missing", hs(&claims_without("exp"))),
        case(
            "control: nbf absent (optional)",
            Config::KeySet,
            Auth::Bearer(hs(&claims_without("nbf"))),
            StatusCode::NO_CONTENT,
        ),
        refused("sub missing", hs(&claims_without("sub"))),
        refused("sub empty", hs(&claims_with("sub", json!("")))),
        refused("sub numeric", hs(&claims_with("sub", json!(42)))),
        refused("aud missing", hs(&claims_without("aud"))),
        refused("aud wrong", hs(&claims_with("aud", json!("other-api")))),
        refused("aud number", hs(&claims_with("aud", json!(7)))),
        refused("iss missing", hs(&claims_without("iss"))),
        refused(
            "iss wrong",
            hs(&claims_with("iss", json!("https://evil.example"))),
        ),
        refused("iss array", hs(&claims_with("iss", json!([ISS])))),
        refused("jti a number", hs(&claims_with("jti", json!(1)))),
    ];
    let good = claims().to_string();
    let dup = good.replacen('{', r#"{"sub":"bob","#, 1);
    cases.push(refused("duplicate sub", hs(&dup)));
    let nested_dup = good.replacen('{', r#"{"x":{"a":1,"a":2},"#, 1);
    cases.push(refused("duplicate member, nested", hs(&nested_dup)));
    cases.push(refused("payload is an array", hs(&format!("[{good}]"))));
    cases.push(refused("payload is a string", hs(r#""alice""#)));
    cases.push(refused("payload is empty", hs("")));
    cases.push(refused("payload is not JSON", hs("foo")));
    cases.push(refused(
        "payload starts with a BOM",
        hs(&format!("\u{feff}{good}")),
    ));
    let deep = |depth: usize| {
        let mut json = good.trim_end_matches('}').to_owned();
        let _ = write!(json, r#","x":{}{}}}"#, "[".repeat(depth), "]".repeat(depth));
        json
    };
    cases.push(refused("JSON nested 100000 deep", hs(&deep(100_000))));
    let nested = jws(&header("HS256", "x"), &deep(10_000), Algorithm::HS256);
    cases.push(case(
        "JSON nested 10000 deep, under a 64 KiB cap",
        Config::Roomy,
        Auth::Bearer(nested),
        StatusCode::UNAUTHORIZED,
    ));
    cases
}

fn encoding_cases() -> Vec<Case> {
    let good = good("hs", Algorithm::HS256);
    let (h, p, sig) = split3(&good);
    let hs_key = key(Algorithm::HS256);
    let mut cases = vec![
        // Re-signed over the exact bytes, so only the encoding is wrong.
        refused(
            "padding in the payload",
            sign_segments(&h, &format!("{p}=="), Algorithm::HS256, &hs_key),
        ),
        refused("padding in the signature", format!("{good}=")),
        refused(
            "whitespace in the payload",
            format!("{h}.{} {}.{sig}", &p[..4], &p[4..]),
        ),
        refused(
            "tab in the header",
            format!("{}\t{}.{p}.{sig}", &h[..4], &h[4..]),
        ),
        refused("two segments", format!("{h}.{p}")),
        refused("four segments", format!("{good}.{sig}")),
        refused("trailing dot", format!("{good}.")),
        refused(
            "an 8 MiB token",
            format!("{h}.{}.{sig}", "A".repeat(8 << 20)),
        ),
    ];
    // `+` and `/`: the standard alphabet, re-signed so only the alphabet is wrong.
    // Three `~` in a row: one of them ends a base64 group, which then encodes as `+` or `/`.
    let standard = STANDARD_NO_PAD.encode(claims_with("note", json!("~~~")));
    assert!(standard.contains(['+', '/']), "the payload needs + or /");
    cases.push(refused(
        "+ or / in the payload",
        sign_segments(&h, &standard, Algorithm::HS256, &hs_key),
    ));
    cases
}

fn transport_cases() -> Vec<Case> {
    let good = good("hs", Algorithm::HS256);
    let bad_request = StatusCode::BAD_REQUEST;
    let unauthorized = StatusCode::UNAUTHORIZED;
    let mut bom = "Bearer \u{feff}".as_bytes().to_vec();
    bom.extend_from_slice(good.as_bytes());
    vec![
        case(
            "no Authorization header",
            Config::KeySet,
            Auth::None,
            unauthorized,
        ),
        case(
            "Token scheme",
            Config::KeySet,
            Auth::Raw(format!("Token {good}").into_bytes()),
            unauthorized,
        ),
        case(
            "Basic scheme",
            Config::KeySet,
            Auth::Raw(format!("Basic {good}").into_bytes()),
            unauthorized,
        ),
        case(
            "BOM before the token",
            Config::KeySet,
            Auth::Raw(bom),
            unauthorized,
        ),
        case(
            "two Authorization headers",
            Config::KeySet,
            Auth::Two(good.clone(), good.clone()),
            bad_request,
        ),
        case(
            "token in the query string too",
            Config::KeySet,
            Auth::Query(good),
            bad_request,
        ),
    ]
}

/// The short code each refusal must carry: proves every case is refused for the reason it was
/// crafted for (a typo in the crafting would otherwise be refused for another, and pass).
const CODES: &[(&str, &str)] = &[
    ("alg none, no signature", "malformed"),
    ("alg None, no signature", "malformed"),
    ("alg NONE, no signature", "malformed"),
    ("alg nOnE, no signature", "malformed"),
    ("alg none, HS256 signature kept", "bad_algorithm"),
    ("signature stripped", "malformed"),
    ("signature truncated", "bad_signature"),
    ("signature altered", "bad_signature"),
    ("payload edited after signing", "bad_signature"),
    (
        "RS256 -> HS256 with the public key as secret (single key)",
        "bad_algorithm",
    ),
    (
        "RS256 -> HS256 with the public key as secret (kid rs)",
        "bad_algorithm",
    ),
    ("RS512 with the rs key (same family)", "bad_algorithm"),
    ("PS256 with the rs key (same family)", "bad_algorithm"),
    ("HS384 with the hs key (same family)", "bad_algorithm"),
    ("HS512 with the hs key (same family)", "bad_algorithm"),
    ("PS256 on an RS256-only verifier", "bad_algorithm"),
    ("unknown kid", "unknown_kid"),
    ("no kid with a key set", "kid_required"),
    (
        "kid path traversal, signed with an empty key",
        "unknown_kid",
    ),
    ("kid SQL text", "unknown_kid"),
    ("jwk header with the attacker's key", "key_in_header"),
    ("jwk header, signed with our key", "key_in_header"),
    ("jku header, signed with our key", "key_in_header"),
    ("x5u header, signed with our key", "key_in_header"),
    ("x5c header, signed with our key", "key_in_header"),
    ("typ other than configured", "bad_type"),
    ("crit unknown", "crit"),
    ("b64: false", "crit"),
    ("duplicate alg in header", "duplicate_member"),
    ("expired an hour ago", "expired"),
    ("expired 45 s ago (inside jsonwebtoken's 60 s)", "expired"),
    ("nbf in the future", "not_yet_valid"),
    ("iat in the future", "not_yet_valid"),
    ("exp as a string", "bad_claim"),
    ("exp as a boolean", "bad_claim"),
    ("exp as a fraction", "bad_claim"),
    ("nbf as a string", "bad_claim"),
    ("nbf as a boolean", "bad_claim"),
    ("exp ten years out", "lifetime_too_long"),
    ("exp missing", "missing_claim"),
    ("sub missing", "missing_claim"),
    ("sub empty", "bad_subject"),
    ("sub numeric", "bad_subject"),
    ("aud missing", "missing_claim"),
    ("aud wrong", "bad_audience"),
    ("aud array without ours", "bad_audience"),
    ("aud array with a number", "bad_audience"),
    ("aud number", "bad_audience"),
    ("iss missing", "missing_claim"),
    ("iss wrong", "bad_issuer"),
    ("iss array", "bad_issuer"),
    ("jti a number", "bad_claim"),
    ("duplicate sub", "duplicate_member"),
    ("duplicate member, nested", "duplicate_member"),
    ("payload is an array", "not_an_object"),
    ("payload is a string", "not_an_object"),
    ("payload is empty", "malformed"),
    ("payload is not JSON", "malformed"),
    ("payload starts with a BOM", "malformed"),
    ("JSON nested 100000 deep", "too_long"),
    ("JSON nested 10000 deep, under a 64 KiB cap", "malformed"),
    ("padding in the payload", "malformed"),
    ("padding in the signature", "malformed"),
    ("whitespace in the payload", "malformed"),
    ("tab in the header", "malformed"),
    ("two segments", "malformed"),
    ("four segments", "malformed"),
    ("trailing dot", "malformed"),
    ("an 8 MiB token", "too_long"),
    ("+ or / in the payload", "malformed"),
    ("no Authorization header", "missing"),
    ("Token scheme", "malformed"),
    ("Basic scheme", "malformed"),
    ("BOM before the token", "malformed"),
    ("two Authorization headers", "invalid_request"),
    ("token in the query string too", "invalid_request"),
];

fn expected_code(name: &str) -> &'static str {
    CODES.iter().find(|(case, _)| *case == name).map_or_else(
        || panic!("no expected code for case {name:?}"),
        |(_, code)| *code,
    )
}

fn split3(token: &str) -> (String, String, String) {
    let mut parts = token.split('.').map(str::to_owned);
    let (Some(h), Some(p), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("not a three-segment token");
    };
    (h, p, s)
}

// ---------------------------------------------------------------------------------------------
// The run

fn request(id: i64, auth: &Auth) -> Request<Body> {
    let mut uri = format!("/items/{id}");
    let mut builder = Request::builder()
        .method("PUT")
        .header(header::CONTENT_TYPE, "application/json");
    match auth {
        Auth::Bearer(token) => {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        Auth::Raw(value) => builder = builder.header(header::AUTHORIZATION, value.as_slice()),
        Auth::None => {}
        Auth::Two(a, b) => {
            builder = builder
                .header(header::AUTHORIZATION, format!("Bearer {a}"))
                .header(header::AUTHORIZATION, format!("Bearer {b}"));
        }
        Auth::Query(token) => {
            let _ = write!(uri, "?access_token={token}");
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
    }
    builder
        .uri(uri)
        .body(Body::from(json!({ "title": "renamed" }).to_string()))
        .expect("request")
}

/// The token-looking parts of a case's credentials, for the no-echo check.
fn secrets(auth: &Auth) -> Vec<String> {
    let tokens: Vec<&[u8]> = match auth {
        Auth::Bearer(t) | Auth::Query(t) => vec![t.as_bytes()],
        Auth::Raw(v) => vec![v.as_slice()],
        Auth::Two(a, b) => vec![a.as_bytes(), b.as_bytes()],
        Auth::None => vec![],
    };
    tokens
        .into_iter()
        .flat_map(|t| {
            String::from_utf8_lossy(t)
                .split(['.', ' '])
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|segment| segment.len() >= 8)
        .collect()
}

#[tokio::test]
async fn bad_tokens_are_refused_and_change_nothing() {
    let cases = cases();
    let mut apps = Vec::new();
    for config in [Config::KeySet, Config::Rs256Only, Config::Roomy] {
        let state = AppState {
            pool: crate::common::sqlite().await,
            verifier: verifier(config),
        };
        let app = Router::new()
            .route("/items/{id}", put(rename_item))
            .with_state(state.clone());
        apps.push((config, state, app));
    }

    let mut failures = Vec::new();
    let (mut refused, mut controls) = (0, 0);
    for case in &cases {
        let (_, state, app) = apps.iter().find(|(c, ..)| *c == case.config).expect("app");
        let id = seed(&state.pool, "original", "alice").await;
        let response = app
            .clone()
            .oneshot(request(id, &case.auth))
            .await
            .expect("infallible");
        let status = response.status();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = String::from_utf8_lossy(&body).into_owned();
        let stored = row(&state.pool, id).await;

        let mut wrong = Vec::new();
        if !case.expect.is_success() {
            let code = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_owned));
            let want = expected_code(&case.name);
            if code.as_deref() != Some(want) {
                wrong.push(format!("code {code:?}, want {want:?}"));
            }
        }
        if status != case.expect {
            wrong.push(format!(
                "status {status}, want {} (body {body})",
                case.expect
            ));
        }
        let want_title = if case.expect.is_success() {
            "renamed"
        } else {
            "original"
        };
        if stored != Some((want_title.to_owned(), "alice".to_owned())) {
            wrong.push(format!("row is {stored:?}, want title {want_title}"));
        }
        if let Some(echo) = secrets(&case.auth)
            .into_iter()
            .find(|s| body.contains(s.as_str()))
        {
            wrong.push(format!("body echoes the token: {echo}"));
        }
        // RFC 6750 §3.1: no error code when the request sent no credentials; a 400 is no
        // scheme's to challenge.
        let want_challenge = match case.expect {
            StatusCode::UNAUTHORIZED if matches!(case.auth, Auth::None) => Some("Bearer"),
            StatusCode::UNAUTHORIZED => Some(r#"Bearer error="invalid_token""#),
            _ => None,
        };
        if challenge.as_deref() != want_challenge {
            wrong.push(format!(
                "WWW-Authenticate {challenge:?}, want {want_challenge:?}"
            ));
        }
        if wrong.is_empty() {
            if case.expect.is_success() {
                controls += 1;
            } else {
                refused += 1;
            }
        } else {
            failures.push(format!("{}: {}", case.name, wrong.join("; ")));
        }
    }
    println!("{refused} bad tokens refused with the row untouched, {controls} controls through");
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(refused >= 40, "at least 40 bad tokens, got {refused}");
    assert!(controls >= 1, "the positive controls must run");
}
