//! The HTTP side: one GET at a time, HTTPS only (plain HTTP to loopback), bounded in time and
//! size; and the discovery document that names a set's URL.

use std::time::Duration;

use reqwest::Url;
use reqwest::header::{ACCEPT, CACHE_CONTROL};
use serde_json::Value;

use crate::jwt::Alg;
use crate::jwt::error::VerifierError;
use crate::jwt::strict_json;

/// The largest body read: key sets and discovery documents are a few KiB.
const MAX_BODY: usize = 256 * 1024;
const MAX_REDIRECTS: usize = 5;

pub(super) struct Client {
    inner: reqwest::Client,
}

pub(super) struct Response {
    pub(super) body: String,
    pub(super) cache_control: Option<String>,
}

impl Client {
    pub(super) fn new(timeout: Duration) -> Result<Self, VerifierError> {
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if allowed(attempt.url()) {
                attempt.follow()
            } else {
                attempt.error("redirect to a URL that is not HTTPS")
            }
        });
        let inner = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(redirects)
            // One request per refresh, minutes apart: a pooled connection would mostly be one
            // the server already closed.
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| VerifierError::new(format!("HTTP client: {e}")))?;
        Ok(Self { inner })
    }

    /// The body of a 200 answer to a GET of `url`, and its `Cache-Control`.
    pub(super) async fn get(&self, url: &str) -> Result<Response, VerifierError> {
        let url = Url::parse(url).map_err(|e| VerifierError::new(format!("bad URL: {e}")))?;
        if !allowed(&url) {
            return Err(VerifierError::new(
                "not an https URL (plain http only to 127.0.0.1, [::1] or localhost)",
            ));
        }
        let failed = |e: reqwest::Error| VerifierError::new(format!("fetch failed: {e}"));
        let mut response = self
            .inner
            .get(url)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(failed)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(VerifierError::new(format!(
                "answered {}",
                response.status()
            )));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(VerifierError::new("body larger than 256 KiB"));
        }
        let cache_control = response
            .headers()
            .get(CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(VerifierError::new("body larger than 256 KiB"));
            }
            body.extend_from_slice(&chunk);
        }
        let body = String::from_utf8(body).map_err(|_| VerifierError::new("body is not UTF-8"))?;
        Ok(Response {
            body,
            cache_control,
        })
    }

    /// What `issuer`'s discovery document says of its keys; its `issuer` must be `issuer`.
    pub(super) async fn discover(&self, issuer: &str) -> Result<Discovered, VerifierError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let in_doc = |e: VerifierError| VerifierError::new(format!("discovery at {url}: {e}"));
        let body = self.get(&url).await.map_err(in_doc)?.body;
        strict_json::check_object(body.as_bytes())
            .map_err(|r| in_doc(VerifierError::new(format!("not valid JSON ({})", r.code()))))?;
        let doc: Value = serde_json::from_str(&body)
            .map_err(|e| in_doc(VerifierError::new(format!("does not parse: {e}"))))?;
        if doc.get("issuer").and_then(Value::as_str) != Some(issuer) {
            return Err(in_doc(VerifierError::new(format!(
                "its issuer is not {issuer:?}"
            ))));
        }
        let jwks_uri = doc
            .get("jwks_uri")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| in_doc(VerifierError::new("no jwks_uri string")))?;
        Ok(Discovered {
            jwks_uri,
            rsa_alg: rsa_alg(&doc),
        })
    }
}

/// The parts of a discovery document the keys are read with.
pub(super) struct Discovered {
    pub(super) jwks_uri: String,
    /// The one RSA algorithm `id_token_signing_alg_values_supported` lists, if it lists
    /// exactly one: the algorithm of the set's RSA keys that name none (Entra ID, Cognito).
    pub(super) rsa_alg: Option<Alg>,
}

/// The document's one RSA signing algorithm; none when it lists none or several, where a key
/// without `alg` could be either (the build then asks for `default_alg`).
fn rsa_alg(doc: &Value) -> Option<Alg> {
    let listed = doc
        .get("id_token_signing_alg_values_supported")?
        .as_array()?;
    let mut rsa = listed
        .iter()
        .filter_map(Value::as_str)
        .filter_map(Alg::from_name)
        .filter(|alg| alg.is_rsa());
    match (rsa.next(), rsa.next()) {
        (Some(alg), None) => Some(alg),
        _ => None,
    }
}

/// HTTPS, or plain HTTP to this machine.
fn allowed(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => url.host_str().is_some_and(|host| {
            host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_rsa_algorithm_of_a_discovery_document() {
        let alg = |doc: &str| rsa_alg(&serde_json::from_str(doc).expect("json"));
        let listed = |algs: &str| {
            alg(&format!(
                r#"{{"id_token_signing_alg_values_supported": {algs}}}"#
            ))
        };
        assert_eq!(listed(r#"["RS256"]"#), Some(Alg::RS256));
        assert_eq!(listed(r#"["PS384", "ES256", "HS256"]"#), Some(Alg::PS384));
        assert_eq!(listed(r#"["RS256", "PS256"]"#), None, "either could sign");
        assert_eq!(listed(r#"["ES256"]"#), None);
        assert_eq!(listed(r#"["none", "rs256"]"#), None, "names are exact");
        assert_eq!(listed(r#""RS256""#), None, "not a list");
        assert_eq!(alg("{}"), None);
    }

    #[test]
    fn https_only_but_loopback() {
        let ok = |u: &str| allowed(&Url::parse(u).expect("url"));
        assert!(ok("https://id.example/jwks"));
        assert!(ok("http://127.0.0.1:8080/jwks"));
        assert!(ok("http://127.0.0.7/jwks"));
        assert!(ok("http://[::1]/jwks"));
        assert!(ok("http://localhost:3000/jwks"));
        assert!(!ok("http://id.example/jwks"));
        assert!(!ok("http://10.0.0.1/jwks"));
        assert!(!ok("http://localhost.evil.example/jwks"));
        assert!(!ok("ftp://id.example/jwks"));
        assert!(!ok("file:///etc/jwks.json"));
    }
}
