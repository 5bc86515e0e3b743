//! Each provider's key set, token header and claims, shaped as its documentation shows them,
//! and the verifier settings its documentation gives. The keys are the test keys of
//! `tests/keys`; the ids, names and tenants are the documentation's examples.

use guarded::VerifierBuilder;
use guarded::jwt::Alg;
use serde_json::{Value, json};

use super::keys::{CERT_X5T, CERT_X5T_S256, cert_x5c, rsa_members};
use crate::common::now;

/// One provider's token and how an app that trusts it configures the verifier.
pub struct Provider {
    pub name: &'static str,
    /// The set: the key signing the token, by the header's `kid`, and `NEXT_KID`'s.
    pub jwks: Value,
    pub header: Value,
    pub claims: Value,
    /// The documented settings, on a builder that already holds the key set.
    pub settings: fn(VerifierBuilder) -> VerifierBuilder,
    /// The claim that names who the token is for, a value naming someone else, and the code
    /// that refuses it.
    pub wrong_recipient: (&'static str, Value, &'static str),
}

/// The `kid` of the set's second key: the one the provider rotates to next.
pub const NEXT_KID: &str = "next-2025";

/// The set's second key, shaped like the first.
fn with_next(first: &Value) -> Value {
    let mut next = first.clone();
    let members = rsa_members(&super::keys::next());
    next["kid"] = json!(NEXT_KID);
    next["n"] = members["n"].clone();
    next["e"] = members["e"].clone();
    for member in ["x5c", "x5t", "x5t#S256"] {
        if let Some(object) = next.as_object_mut() {
            object.remove(member);
        }
    }
    json!({ "keys": [first, next] })
}

fn current(members: Value) -> Value {
    let mut jwk = members;
    let key = rsa_members(&super::keys::current());
    jwk["n"] = key["n"].clone();
    jwk["e"] = key["e"].clone();
    jwk
}

pub const AUTH0_ISS: &str = "https://my-tenant.us.auth0.com/";
pub const AUTH0_API: &str = "https://api.example.com/health";

/// Auth0 access token for an API (auth0.com/docs: "Access Token Profiles", "JSON Web Key
/// Sets"): `aud` is `[api, userinfo]` when `openid` was asked, no `nbf`, `azp` the client.
pub fn auth0() -> Provider {
    let kid = "NjVBRjY5MDlCMUIwNzU4RTA2QzZFMDQ4QzQ2MDAyQjVDNjk1RTM2Qg";
    let now = now();
    Provider {
        name: "Auth0 access token",
        jwks: with_next(&current(json!({
            "alg": "RS256", "kty": "RSA", "use": "sig", "x5c": [cert_x5c()],
            "kid": kid, "x5t": CERT_X5T,
        }))),
        header: json!({ "alg": "RS256", "typ": "JWT", "kid": kid }),
        claims: json!({
            "iss": AUTH0_ISS,
            "sub": "auth0|5f7c8ec7c33c6c004bbafe82",
            "aud": [AUTH0_API, "https://my-tenant.us.auth0.com/userinfo"],
            "iat": now - 10, "exp": now + 86_000,
            "azp": "YmKMCrQ5Y9dcuVzWgqJ1oC27VYvK4IPi",
            "scope": "openid profile read:patients",
        }),
        settings: |b| b.issuer(AUTH0_ISS).audience(AUTH0_API),
        wrong_recipient: (
            "aud",
            json!([
                "https://api.example.com/billing",
                "https://my-tenant.us.auth0.com/userinfo"
            ]),
            "bad_audience",
        ),
    }
}

pub const COGNITO_ISS: &str = "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_aaaaaaaaa";
pub const COGNITO_CLIENT: &str = "57cbishk4j24pabc1234567890";

fn cognito_jwks(kid: &str) -> Value {
    with_next(&current(
        json!({ "alg": "RS256", "e": "", "kid": kid, "kty": "RSA", "use": "sig" }),
    ))
}

/// Amazon Cognito access token (docs.aws.amazon.com/cognito: "Understanding the access
/// token"): no `aud`, the app client in `client_id`, `token_use` `access`, no `nbf`.
pub fn cognito_access() -> Provider {
    let kid = "1234example=";
    let now = now();
    Provider {
        name: "Cognito access token",
        jwks: cognito_jwks(kid),
        header: json!({ "kid": kid, "alg": "RS256" }),
        claims: json!({
            "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "device_key": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "cognito:groups": ["admin"],
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": now - 60,
            "iss": COGNITO_ISS,
            "exp": now + 3600, "iat": now - 60,
            "origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "event_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "client_id": COGNITO_CLIENT,
            "username": "janedoe@example.com",
        }),
        settings: |b| {
            b.issuer(COGNITO_ISS)
                .client_id(COGNITO_CLIENT)
                .token_use("access")
        },
        wrong_recipient: (
            "client_id",
            json!("3ck15a1ov4f0d3o57vs2eexample"),
            "bad_client_id",
        ),
    }
}

/// Amazon Cognito ID token ("Understanding the identity (ID) token"): `aud` is the app
/// client, `token_use` `id`, no `nbf`.
pub fn cognito_id() -> Provider {
    let kid = "1234example=";
    let now = now();
    Provider {
        name: "Cognito ID token",
        jwks: cognito_jwks(kid),
        header: json!({ "kid": kid, "alg": "RS256" }),
        claims: json!({
            "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "cognito:groups": ["admin"],
            "email_verified": true,
            "iss": COGNITO_ISS,
            "cognito:username": "janedoe",
            "origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "aud": COGNITO_CLIENT,
            "event_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "token_use": "id",
            "auth_time": now - 60,
            "exp": now + 3600, "iat": now - 60,
            "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "email": "janedoe@example.com",
        }),
        settings: |b| {
            b.issuer(COGNITO_ISS)
                .audience(COGNITO_CLIENT)
                .token_use("id")
        },
        wrong_recipient: ("aud", json!("3ck15a1ov4f0d3o57vs2eexample"), "bad_audience"),
    }
}

pub const KEYCLOAK_ISS: &str = "https://sso.example.com/realms/acme";

/// Keycloak access token (keycloak.org "Server Administration": audience mapper, realm
/// certs endpoint): `aud` an array with `account`, `azp` the client, `typ` `Bearer` in the
/// payload, no `nbf`; the realm's set also publishes an `RSA-OAEP` encryption key.
pub fn keycloak() -> Provider {
    let kid = "Qy0K3Kxk1dFj1m3mXqC4bI3v1o8Yx5aVb9pWcT8d2sE";
    let now = now();
    let mut jwks = with_next(&current(json!({
        "kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig",
        "x5c": [cert_x5c()], "x5t": CERT_X5T, "x5t#S256": CERT_X5T_S256,
    })));
    let mut enc =
        current(json!({ "kid": "enc-Rk3", "kty": "RSA", "alg": "RSA-OAEP", "use": "enc" }));
    enc["x5c"] = json!([cert_x5c()]);
    jwks["keys"].as_array_mut().expect("keys").push(enc);
    Provider {
        name: "Keycloak access token",
        jwks,
        header: json!({ "alg": "RS256", "typ": "JWT", "kid": kid }),
        claims: json!({
            "exp": now + 300, "iat": now, "auth_time": now,
            "jti": "onrtac:7c5d2f8e-6b1b-4b4e-9a59-5d3c1f1c9d5b",
            "iss": KEYCLOAK_ISS,
            "aud": ["orders-api", "account"],
            "sub": "f7d4a3c2-9e1b-4c8a-b6d5-3e2f1a0b9c8d",
            "typ": "Bearer",
            "azp": "orders-web",
            "sid": "2c1e1d6a-0f3b-4f5e-8a7d-9b6c5d4e3f2a",
            "acr": "1",
            "allowed-origins": ["https://orders.example.com"],
            "realm_access": { "roles": ["offline_access", "default-roles-acme"] },
            "resource_access": { "account": { "roles": ["manage-account", "view-profile"] } },
            "scope": "openid email profile",
            "email_verified": true,
            "preferred_username": "alice",
        }),
        settings: |b| {
            b.issuer(KEYCLOAK_ISS)
                .audience("orders-api")
                .authorized_party("orders-web")
        },
        wrong_recipient: ("azp", json!("admin-cli"), "bad_azp"),
    }
}

pub const OKTA_ISS: &str = "https://dev-133337.okta.com/oauth2/default";

/// Okta access token from a custom authorization server (developer.okta.com: "Access token
/// payload"): `aud` `api://default`, `cid`, `scp` an array, no `nbf`.
pub fn okta() -> Provider {
    let kid = "a4b1QzT7Qy7g8Sm6Rx3Zk0u9Q1JcV2lF5yW8nH0pD4E";
    let now = now();
    Provider {
        name: "Okta access token",
        jwks: with_next(&current(json!({
            "kty": "RSA", "alg": "RS256", "kid": kid, "use": "sig", "e": "",
        }))),
        header: json!({ "kid": kid, "alg": "RS256" }),
        claims: json!({
            "ver": 1,
            "jti": "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE",
            "iss": OKTA_ISS,
            "aud": "api://default",
            "iat": now, "exp": now + 3600,
            "cid": "0oa1ff4b5xJ0CUFXe0h8",
            "uid": "00uid4BxXw6I6TV4m0g3",
            "scp": ["openid", "email"],
            "auth_time": now - 30,
            "sub": "alice@example.com",
        }),
        settings: |b| b.issuer(OKTA_ISS).audience("api://default"),
        wrong_recipient: ("aud", json!("api://billing"), "bad_audience"),
    }
}

pub const GOOGLE_CLIENT: &str =
    "1234987819200-okv6gf0i3p3c4bdh1n8fr3hpt7sq5e8q.apps.googleusercontent.com";

/// Google ID token (developers.google.com/identity/openid-connect: "An ID token's
/// payload"): `aud` and `azp` the client, `email_verified`, `at_hash`, no `nbf`.
pub fn google() -> Provider {
    let kid = "89ce3598c473af1bda4bff95e6c8736450206fba";
    let now = now();
    Provider {
        name: "Google ID token",
        jwks: with_next(&current(json!({
            "kid": kid, "e": "", "use": "sig", "alg": "RS256", "kty": "RSA",
        }))),
        header: json!({ "alg": "RS256", "kid": kid, "typ": "JWT" }),
        claims: json!({
            "iss": "https://accounts.google.com",
            "azp": GOOGLE_CLIENT,
            "aud": GOOGLE_CLIENT,
            "sub": "110169484474386276334",
            "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
            "hd": "example.com",
            "email": "jsmith@example.com",
            "email_verified": true,
            "iat": now, "exp": now + 3599,
            "nonce": "0394852-3190485-2490358",
        }),
        settings: |b| {
            b.issuer("https://accounts.google.com")
                .audience(GOOGLE_CLIENT)
                .authorized_party(GOOGLE_CLIENT)
        },
        wrong_recipient: (
            "aud",
            json!("5550001111-other.apps.googleusercontent.com"),
            "bad_audience",
        ),
    }
}

pub const FIREBASE_PROJECT: &str = "acme-orders-4f2a1";

/// Firebase Authentication ID token (firebase.google.com: "Verify ID tokens using a
/// third-party JWT library"): `iss` `https://securetoken.google.com/<project>`, `aud` the
/// project, `sub` the uid, `firebase` claims, no `nbf`.
pub fn firebase() -> Provider {
    let kid = "a9d3b6c0e1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6";
    let now = now();
    Provider {
        name: "Firebase ID token",
        jwks: with_next(&current(json!({
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "e": "",
        }))),
        header: json!({ "alg": "RS256", "kid": kid, "typ": "JWT" }),
        claims: json!({
            "iss": format!("https://securetoken.google.com/{FIREBASE_PROJECT}"),
            "aud": FIREBASE_PROJECT,
            "auth_time": now - 5,
            "user_id": "tD2hKmM1RhV4W8bXcP9qLzNf3sE2",
            "sub": "tD2hKmM1RhV4W8bXcP9qLzNf3sE2",
            "iat": now, "exp": now + 3600,
            "email": "alice@example.com",
            "email_verified": false,
            "firebase": {
                "identities": { "email": ["alice@example.com"] },
                "sign_in_provider": "password",
            },
        }),
        settings: |b| {
            b.issuer(format!("https://securetoken.google.com/{FIREBASE_PROJECT}"))
                .audience(FIREBASE_PROJECT)
        },
        wrong_recipient: ("aud", json!("another-project-77a1"), "bad_audience"),
    }
}

pub const ENTRA_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub const ENTRA_APP: &str = "6e74172b-be56-4843-9ff4-e66a39bb12e3";

/// Microsoft Entra ID v2.0 access token for an app's own API (learn.microsoft.com: "Access
/// token claims reference", "Signing key rollover"): the set's keys carry no `alg`, `kid`
/// and `x5t` are the certificate's thumbprint, `x5c` the certificate, `issuer` the
/// templated tenant; the issuer names the tenant; `nbf` present.
pub fn entra() -> Provider {
    let kid = CERT_X5T;
    let now = now();
    Provider {
        name: "Entra ID v2 access token",
        jwks: with_next(&current(json!({
            "kty": "RSA", "use": "sig", "kid": kid, "x5t": CERT_X5T, "e": "",
            "x5c": [cert_x5c()],
            "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
        }))),
        header: json!({ "typ": "JWT", "alg": "RS256", "kid": kid }),
        claims: json!({
            "aud": ENTRA_APP,
            "iss": format!("https://login.microsoftonline.com/{ENTRA_TENANT}/v2.0"),
            "iat": now - 5, "nbf": now - 5, "exp": now + 4000,
            "aio": "AXQAi/8TAAAAbZBHhtr3DOqVh4tLzF9gIYX6rXq1wO1dY8m0pSpm8jU=",
            "azp": "f4d1bcc1-1a5a-4a0b-8e5c-0b1e2a7b9c3d",
            "azpacr": "0",
            "name": "Abe Lincoln",
            "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474",
            "preferred_username": "abeli@microsoft.com",
            "rh": "I",
            "scp": "access_as_user",
            "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
            "tid": ENTRA_TENANT,
            "uti": "fqiBqXLPj0eQa82S-IYFAA",
            "ver": "2.0",
        }),
        settings: |b| {
            b.issuer(format!(
                "https://login.microsoftonline.com/{ENTRA_TENANT}/v2.0"
            ))
            .audience(ENTRA_APP)
            .default_alg(Alg::RS256)
        },
        wrong_recipient: (
            "aud",
            json!("00000003-0000-0000-c000-000000000000"),
            "bad_audience",
        ),
    }
}

/// Every provider above.
pub fn all() -> Vec<Provider> {
    vec![
        auth0(),
        cognito_access(),
        cognito_id(),
        keycloak(),
        okta(),
        google(),
        firebase(),
        entra(),
    ]
}
