//! Tokens: the valid ones the users send, and the broken ones an API must refuse.
//!
//! With `--secret` the probe mints HS256 tokens itself (a fresh `jti` each), so it can also
//! forge every claim; with tokens given directly it can only break what it was given (the
//! header, the signature, the transport).

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Map, Value, json};

use crate::client::Credentials;

/// How the probe gets a user's token.
#[derive(Debug, Clone)]
pub enum Tokens {
    /// Minted here, HS256, with these claims besides `sub`, the times and a `jti`.
    Mint {
        /// The HS256 secret the API verifies with.
        secret: Vec<u8>,
        /// `iss`, when the API requires one.
        issuer: Option<String>,
        /// `aud`, when the API requires one.
        audience: Option<String>,
        /// Seconds from `iat` to `exp`.
        ttl: u64,
    },
    /// Given: user name to token.
    Given(Vec<(String, String)>),
    /// Had from the route file's `[login]` (after its `[register]` when the login fails).
    Login,
}

/// The claims of a user's minted tokens besides the standard ones (from the route file's
/// `[auth] claims`, filled with the user's attributes).
pub type Claims = Map<String, Value>;

/// A token an API must refuse, and how it is sent.
pub(crate) struct Broken {
    /// What is wrong with it, for the report.
    pub name: &'static str,
    pub credentials: Credentials,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0; bytes];
    // Without randomness tokens would repeat their jti; nothing to fall back on.
    getrandom::fill(&mut buf).expect("the system's randomness");
    buf.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// `header.claims.signature`, the signature HMAC over the first two with `key`, or empty
/// for `alg: none`.
fn sign(header: &Value, claims: &Value, alg: Option<Algorithm>, key: &[u8]) -> String {
    let message = format!("{}.{}", b64(header), b64(claims));
    let signature = alg.map_or_else(String::new, |alg| {
        jsonwebtoken::crypto::sign(message.as_bytes(), &EncodingKey::from_secret(key), alg)
            .expect("an HMAC signs any message")
    });
    format!("{message}.{signature}")
}

impl Tokens {
    /// The claims of a valid token of `sub`, with `extra`. No `nbf`: it is optional, and
    /// most providers send none.
    fn claims(&self, sub: &str, extra: &Claims) -> Map<String, Value> {
        let Self::Mint {
            issuer,
            audience,
            ttl,
            ..
        } = self
        else {
            return Map::new();
        };
        let now = now();
        let mut claims = json!({
            "sub": sub, "iat": now, "exp": now + ttl, "jti": random_hex(16),
        });
        if let Some(iss) = issuer {
            claims["iss"] = json!(iss);
        }
        if let Some(aud) = audience {
            claims["aud"] = json!(aud);
        }
        let mut claims = claims.as_object().cloned().unwrap_or_default();
        claims.extend(extra.clone());
        claims
    }

    /// A valid token of `user` with `extra` claims: fresh when minted; given or logged in
    /// (`logged`) otherwise.
    pub fn token(&self, user: &str, extra: &Claims, logged: &[(String, String)]) -> Option<String> {
        let find = |tokens: &[(String, String)]| {
            tokens
                .iter()
                .find(|(name, _)| name == user)
                .map(|(_, t)| t.clone())
        };
        match self {
            Self::Mint { secret, .. } => Some(sign(
                &json!({ "alg": "HS256", "typ": "JWT" }),
                &Value::Object(self.claims(user, extra)),
                Some(Algorithm::HS256),
                secret,
            )),
            Self::Given(tokens) => find(tokens),
            Self::Login => find(logged),
        }
    }

    /// Whether the probe mints tokens (and can forge claims).
    pub fn mints(&self) -> bool {
        matches!(self, Self::Mint { .. })
    }

    /// The broken tokens of `user` (`valid` a valid one, `extra` its minted claims), each of
    /// which an API must refuse; `other` is a second user, `other_valid` a valid token of
    /// theirs and `other_extra` their claims.
    /// With the API's public key (`public_key`, PEM), a token signed HS256 with that key's
    /// text as the secret: a verifier that picks the algorithm from the token accepts it.
    pub(crate) fn broken(
        &self,
        (user, valid, extra): (&str, String, &Claims),
        (other, other_valid, other_extra): (&str, String, &Claims),
        public_key: Option<&[u8]>,
    ) -> Vec<Broken> {
        let mut parts = valid.splitn(3, '.');
        let (header, payload) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let claims: Value = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_else(|| json!({ "sub": user }));
        let random_key = random_hex(32);
        let hs256 = json!({ "alg": "HS256", "typ": "JWT" });
        let bearer = |token: String| Credentials::Token(token);
        let mut tampered = claims.clone();
        tampered["sub"] = json!(other);
        for (name, value) in other_extra {
            tampered[name] = value.clone();
        }
        let mut broken = vec![
            Broken {
                name: "alg none",
                credentials: bearer(sign(
                    &json!({ "alg": "none", "typ": "JWT" }),
                    &claims,
                    None,
                    b"",
                )),
            },
            Broken {
                name: "alg None, signature kept",
                credentials: bearer(format!(
                    "{}.{payload}.{}",
                    b64(&json!({ "alg": "None", "typ": "JWT" })),
                    valid.rsplit('.').next().unwrap_or_default()
                )),
            },
            Broken {
                name: "signature removed",
                credentials: bearer(format!("{header}.{payload}.")),
            },
            Broken {
                name: "claims changed after signing (sub of another user)",
                credentials: bearer(format!(
                    "{header}.{}.{}",
                    b64(&tampered),
                    valid.rsplit('.').next().unwrap_or_default()
                )),
            },
            Broken {
                name: "signed with another key",
                credentials: bearer(sign(
                    &hs256,
                    &claims,
                    Some(Algorithm::HS256),
                    random_key.as_bytes(),
                )),
            },
            Broken {
                name: "token in the query string",
                credentials: Credentials::Query(valid.clone()),
            },
            // The stranger's first, the owner's last: an API that takes the first (as most
            // do) acts as the stranger and refuses; one that takes the last disagrees with
            // every proxy that checks the first.
            Broken {
                name: "two tokens, the owner's last",
                credentials: Credentials::TwoHeaders(other_valid, valid.clone()),
            },
            Broken {
                name: "no token",
                credentials: Credentials::None,
            },
            Broken {
                name: "not a JWT",
                credentials: bearer("probe.not-a.token".to_owned()),
            },
        ];
        if let Some(pem) = public_key {
            broken.push(Broken {
                name: "HS256 signed with the API's public key (algorithm confusion)",
                credentials: bearer(sign(&hs256, &claims, Some(Algorithm::HS256), pem)),
            });
        }
        if let Self::Mint {
            secret,
            issuer,
            audience,
            ..
        } = self
        {
            broken.extend(self.forged(
                (user, extra),
                secret,
                issuer.as_deref(),
                audience.as_deref(),
            ));
        }
        broken
    }

    /// Tokens validly signed with the API's own secret whose claims or header are wrong.
    fn forged(
        &self,
        user: (&str, &Claims),
        secret: &[u8],
        issuer: Option<&str>,
        audience: Option<&str>,
    ) -> Vec<Broken> {
        let now = now();
        let with = |change: &dyn Fn(&mut Map<String, Value>)| self.with(user, secret, change);
        let headed = |header: Value, alg: Algorithm, key: &[u8]| {
            Credentials::Token(sign(
                &header,
                &Value::Object(self.claims(user.0, user.1)),
                Some(alg),
                key,
            ))
        };
        let mut forged = vec![
            Broken {
                name: "expired an hour ago",
                credentials: with(&|c| {
                    c.insert("exp".into(), json!(now - 3600));
                    c.insert("iat".into(), json!(now - 7200));
                }),
            },
            Broken {
                name: "not valid for another hour (nbf)",
                credentials: with(&|c| {
                    c.insert("nbf".into(), json!(now + 3600));
                }),
            },
            Broken {
                name: "no exp",
                credentials: with(&|c| {
                    c.remove("exp");
                }),
            },
            Broken {
                name: "no subject (no sub, nor the claims that name the user)",
                credentials: with(&|c| {
                    c.remove("sub");
                    for name in user.1.keys() {
                        c.remove(name);
                    }
                }),
            },
            Broken {
                name: "exp as a string",
                credentials: with(&|c| {
                    c.insert("exp".into(), json!((now + 600).to_string()));
                }),
            },
            Broken {
                name: "HS384 with the HS256 secret (algorithm confusion)",
                credentials: headed(
                    json!({ "alg": "HS384", "typ": "JWT" }),
                    Algorithm::HS384,
                    secret,
                ),
            },
            Broken {
                name: "HS512 with the HS256 secret (algorithm confusion)",
                credentials: headed(
                    json!({ "alg": "HS512", "typ": "JWT" }),
                    Algorithm::HS512,
                    secret,
                ),
            },
            Broken {
                name: "kid pointing at /dev/null, signed with an empty key",
                credentials: headed(
                    json!({ "alg": "HS256", "typ": "JWT", "kid": "../../../../../../../dev/null" }),
                    Algorithm::HS256,
                    b"",
                ),
            },
            Broken {
                name: "jku naming a key set elsewhere, signed with another key",
                credentials: headed(
                    json!({ "alg": "HS256", "typ": "JWT", "jku": "https://probe.invalid/jwks.json" }),
                    Algorithm::HS256,
                    b"probe-attacker-key-probe-attacker-key",
                ),
            },
            Broken {
                name: "oversized (64 KiB of claims)",
                credentials: with(&|c| {
                    c.insert("pad".into(), json!("x".repeat(64 * 1024)));
                }),
            },
        ];
        forged.extend(self.misaddressed(user, secret, issuer, audience));
        forged
    }

    /// A valid token of `user` whose claims `change` then alters, signed with `secret`.
    fn with(
        &self,
        user: (&str, &Claims),
        secret: &[u8],
        change: &dyn Fn(&mut Map<String, Value>),
    ) -> Credentials {
        let mut claims = self.claims(user.0, user.1);
        change(&mut claims);
        let header = json!({ "alg": "HS256", "typ": "JWT" });
        Credentials::Token(sign(
            &header,
            &Value::Object(claims),
            Some(Algorithm::HS256),
            secret,
        ))
    }

    /// Tokens for another issuer or audience, when the API names its own.
    fn misaddressed(
        &self,
        user: (&str, &Claims),
        secret: &[u8],
        issuer: Option<&str>,
        audience: Option<&str>,
    ) -> Vec<Broken> {
        let with = |change: &dyn Fn(&mut Map<String, Value>)| self.with(user, secret, change);
        let mut forged = Vec::new();
        if let Some(iss) = issuer {
            forged.push(Broken {
                name: "wrong iss",
                credentials: with(&|c| {
                    c.insert("iss".into(), json!(format!("{iss}.probe.invalid")));
                }),
            });
            forged.push(Broken {
                name: "iss as an array",
                credentials: with(&|c| {
                    c.insert("iss".into(), json!([iss]));
                }),
            });
        }
        if let Some(aud) = audience {
            forged.push(Broken {
                name: "wrong aud",
                credentials: with(&|c| {
                    c.insert("aud".into(), json!(format!("{aud}-probe")));
                }),
            });
            forged.push(Broken {
                name: "aud an array without this API",
                credentials: with(&|c| {
                    c.insert("aud".into(), json!(["probe-other-api"]));
                }),
            });
        }
        forged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_verifies_and_every_broken_one_differs() {
        let tokens = Tokens::Mint {
            secret: b"0123456789abcdef0123456789abcdef".to_vec(),
            issuer: Some("iss".into()),
            audience: Some("aud".into()),
            ttl: 600,
        };
        let mut extra = Claims::new();
        extra.insert("user_id".into(), json!(7));
        let valid = tokens.token("alice", &extra, &[]).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
        validation.set_issuer(&["iss"]);
        validation.set_audience(&["aud"]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.validate_nbf = true;
        let key = jsonwebtoken::DecodingKey::from_secret(b"0123456789abcdef0123456789abcdef");
        let data = jsonwebtoken::decode::<Value>(&valid, &key, &validation).unwrap();
        assert_eq!(data.claims["sub"], "alice");
        assert_eq!(data.claims["user_id"], 7);
        assert!(data.claims.get("nbf").is_none(), "nbf is optional");
        let bob = tokens.token("bob", &Claims::new(), &[]).unwrap();
        let broken = tokens.broken(
            ("alice", valid, &extra),
            ("bob", bob, &Claims::new()),
            Some(b"-----BEGIN PUBLIC KEY-----"),
        );
        assert!(broken.iter().any(|b| b.name.contains("public key")));
        assert!(broken.len() > 20, "{}", broken.len());
        // jsonwebtoken's checks, and `iss` a string (it takes an array holding the issuer).
        let verifies = |t: &str| {
            jsonwebtoken::decode::<Value>(t, &key, &validation)
                .is_ok_and(|data| data.claims["iss"].is_string())
        };
        for b in &broken {
            if let Credentials::Token(t) = &b.credentials {
                assert!(
                    !verifies(t) || b.name.starts_with("oversized"),
                    "{} verifies",
                    b.name
                );
            }
        }
    }
}
