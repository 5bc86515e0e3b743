//! Signing up, in and out. Sign-in answers with a token twice: as the `session` cookie for
//! browsers and in the body for clients that send `Authorization: Token <jwt>`; the guard
//! reads either (never both: that is a 400).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum_extra::extract::WithRejection;
use guarded::{Guard, guarded};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use sqlx::Any;
use sqlx::error::{DatabaseError, ErrorKind};

use crate::db::{self, Db};
use crate::error::AppError;

pub const ISSUER: &str = "conduit";
pub const AUDIENCE: &str = "conduit";
pub const COOKIE: &str = "session";
/// How long a token, and the cookie holding it, lasts.
const TOKEN_SECONDS: i64 = 3600;

/// Signs the tokens the `Verifier` checks.
#[derive(Clone)]
pub struct Signer(EncodingKey);

impl Signer {
    pub fn new(secret: &[u8]) -> Self {
        Self(EncodingKey::from_secret(secret))
    }

    fn token(&self, username: &str) -> Result<String, AppError> {
        let now = db::now();
        let jti = db::random_hex(16).map_err(|e| AppError::Internal(e.to_string()))?;
        let claims = serde_json::json!({
            "sub": username, "iss": ISSUER, "aud": AUDIENCE,
            "iat": now, "nbf": now, "exp": now + TOKEN_SECONDS, "jti": jti,
        });
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.0)
            .map_err(|e| AppError::Internal(e.to_string()))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    username: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    user: Credentials,
}

#[derive(Serialize)]
struct User {
    username: String,
    token: String,
}

/// `POST /api/users`: a new user, signed in.
pub async fn register(
    State(db): State<Db>,
    State(signer): State<Signer>,
    WithRejection(Json(body), _): WithRejection<Json<UserBody>, AppError>,
) -> Result<impl IntoResponse, AppError> {
    let Credentials { username, password } = body.user;
    if username.is_empty()
        || username.len() > 64
        || !username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(AppError::Invalid(
            "username",
            "must be 1 to 64 letters, digits, `_` or `-`",
        ));
    }
    if !(8..=128).contains(&password.len()) {
        return Err(AppError::Invalid("password", "must be 8 to 128 bytes"));
    }
    let hash = tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))?;
    sqlx::query(db.sql("INSERT INTO users (username, password_hash) VALUES (?, ?)"))
        .bind(&username)
        .bind(hash)
        .execute(db.pool())
        .await
        .map_err(|e| match e.as_database_error().map(DatabaseError::kind) {
            Some(ErrorKind::UniqueViolation) => {
                AppError::Invalid("username", "has already been taken")
            }
            _ => e.into(),
        })?;
    signed_in(&signer, username, StatusCode::CREATED)
}

/// `POST /api/users/login`.
pub async fn login(
    State(db): State<Db>,
    State(signer): State<Signer>,
    WithRejection(Json(body), _): WithRejection<Json<UserBody>, AppError>,
) -> Result<impl IntoResponse, AppError> {
    let Credentials { username, password } = body.user;
    let stored: Option<(String,)> =
        sqlx::query_as(db.sql("SELECT password_hash FROM users WHERE username = ?"))
            .bind(&username)
            .fetch_optional(db.pool())
            .await?;
    let Some((stored,)) = stored else {
        return Err(AppError::Unauthorized);
    };
    let matches = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    if !matches {
        return Err(AppError::Unauthorized);
    }
    signed_in(&signer, username, StatusCode::OK)
}

fn signed_in(
    signer: &Signer,
    username: String,
    status: StatusCode,
) -> Result<impl IntoResponse + use<>, AppError> {
    let token = signer.token(&username)?;
    // HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it, which is
    // what keeps a cookie-authenticated write from being forged cross-site.
    let cookie = format!(
        "{COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/api; Max-Age={TOKEN_SECONDS}"
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| AppError::Internal(e.to_string()))?,
    );
    Ok((
        status,
        headers,
        Json(serde_json::json!({ "user": User { username, token } })),
    ))
}

/// `POST /api/users/logout`: this token is void from now on, wherever it is replayed from
/// (the policy's `[token] valid` reads `revoked_tokens` in every guarded statement).
#[guarded(unguarded = "revoked_tokens")]
pub async fn logout(
    WithRejection(mut guard, _): WithRejection<Guard<Any>, AppError>,
) -> Result<impl IntoResponse, AppError> {
    let claims = guard.claims().clone();
    let jti = claims.jti.ok_or(AppError::Unauthorized)?;
    let expires_at = i64::try_from(claims.exp).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO revoked_tokens (jti, expires_at) SELECT ?, ? \
         WHERE NOT EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = ?)",
    )
    .bind(&jti)
    .bind(expires_at)
    .bind(&jti)
    .execute(&mut guard)
    .await?;
    let expired = format!("{COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/api; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, expired)]))
}
