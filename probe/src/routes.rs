//! The routes to attack, from a small TOML file (see `examples/items_api.toml`): which request
//! creates an object, reads it, changes it, deletes it, gives it away, and logs out.
//!
//! Paths and bodies hold placeholders filled per request: `{id}` the object's id (from the
//! create's response), `{other}` the user the object goes to, `{marker}` a fresh value the
//! probe looks for afterwards; and each attribute of the user the request is for (`{user}`,
//! `{email}`, `{password}`, `{org}`), in login and registration bodies.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::users::User;

/// The routes of one kind of object.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routes {
    /// JSON pointer to the new object's id in the create's response.
    #[serde(default = "default_id")]
    pub id: String,
    /// JSON pointer to the owner in the object the read returns.
    pub owner: String,
    /// Creates an object of the caller's (the body's `{marker}`, if any, is fresh).
    pub create: Route,
    /// Reads object `{id}`.
    pub read: Route,
    /// A change of the object; its body holds `{marker}`, and `field` says where the read
    /// shows it.
    pub update: Option<Route>,
    /// Deletes object `{id}`.
    pub delete: Option<Route>,
    /// Gives the object to `{other}`.
    pub transfer: Option<Route>,
    /// Ends the token it is called with.
    pub logout: Option<Route>,
    /// How the API takes and issues tokens.
    #[serde(default)]
    pub auth: Auth,
    /// Logs a user in: its `token` is the JSON pointer to the token in the answer.
    pub login: Option<Route>,
    /// Registers a user whose login failed, before logging in again.
    pub register: Option<Route>,
    /// What the route source left out, and why (an OpenAPI resource with no item path).
    #[serde(skip)]
    pub notes: Vec<String>,
}

/// How the API takes tokens, and what the probe's minted tokens hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// `Authorization: <scheme> <token>` (`Token`); read from the API's 401
    /// (`WWW-Authenticate`) or the OpenAPI `securitySchemes` when no way is given.
    pub scheme: Option<String>,
    /// A header instead: `"X-Api-Key: {token}"`.
    pub header: Option<String>,
    /// A cookie instead: `"jwt={token}"`.
    pub cookie: Option<String>,
    /// Claims of minted tokens besides `sub` (the user's name), `iat`, `exp` and `jti`: a
    /// template per claim with the user's placeholders (`user_id = "{id}"`). A value that
    /// is all digits is a number.
    #[serde(default)]
    pub claims: BTreeMap<String, String>,
    /// The user attribute the API shows as the owner (`username`); the user's name when not
    /// given.
    pub owner_value: Option<String>,
}

fn default_id() -> String {
    "/id".to_owned()
}

/// One request: `"PUT /items/{id}"`, and its JSON body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// `"METHOD /path"` (empty for a transfer by `command`).
    #[serde(default)]
    pub request: String,
    /// The JSON body, with placeholders in its strings.
    pub body: Option<Value>,
    /// The update's: JSON pointer to where the read shows the marker.
    pub field: Option<String>,
    /// The read's: anyone may read (a stranger's or an anonymous read is no finding).
    #[serde(default)]
    pub public: bool,
    /// The login's: JSON pointer to the token in the answer.
    pub token: Option<String>,
    /// The transfer's, instead of a request: a command (program, then arguments) that gives
    /// object `{id}` to `{other}`, run without a shell; the values are also in the
    /// environment (`GUARDED_PROBE_ID`, `GUARDED_PROBE_OTHER`).
    pub command: Option<Vec<String>>,
    /// The transfer's: the `Authorization` header to send instead of the owner's token (an
    /// administrator's, for an API whose owners cannot give objects away); `env:NAME` reads
    /// it from the environment.
    pub authorization: Option<String>,
}

/// The values of a request's placeholders.
#[derive(Debug, Clone, Default)]
pub struct Fill<'a> {
    /// `{id}`.
    pub id: Option<&'a str>,
    /// `{other}`.
    pub other: Option<&'a str>,
    /// `{marker}`.
    pub marker: Option<&'a str>,
    /// The user's attributes (`{user}`, `{email}`, ...).
    pub user: Option<&'a User>,
}

impl Fill<'_> {
    /// Each placeholder and its value, `encoded` for a path.
    fn holes(&self, encoded: bool) -> Vec<(String, String)> {
        let value = |v: &str| if encoded { encode(v) } else { v.to_owned() };
        let mut holes: Vec<(String, String)> = [
            ("{id}", self.id),
            ("{other}", self.other),
            ("{marker}", self.marker),
        ]
        .into_iter()
        .filter_map(|(name, v)| Some((name.to_owned(), value(v?))))
        .collect();
        if let Some(user) = self.user {
            holes.extend(user.holes().into_iter().map(|(k, v)| (k, value(&v))));
        }
        holes
    }
}

impl Route {
    /// The method, upper case.
    pub fn method(&self) -> &str {
        self.request.split_whitespace().next().unwrap_or_default()
    }

    /// The path with its placeholders filled, each percent-encoded: an id the server chose
    /// cannot leave the path.
    pub fn path(&self, fill: &Fill<'_>) -> String {
        let path = self.request.split_whitespace().nth(1).unwrap_or_default();
        fill_text(path, &fill.holes(true))
    }

    /// The body with its placeholders filled, if the route has one.
    pub fn body(&self, fill: &Fill<'_>) -> Option<Value> {
        let holes = fill.holes(false);
        self.body.as_ref().map(|b| fill_value(b, &holes))
    }
}

/// Every character but letters, digits, `-`, `_` and `~`, percent-encoded: `.` too, so a
/// value of `..` stays one segment.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `text` with each placeholder replaced, in one pass: a value that holds a placeholder's
/// name (an id the server chose) is not filled again.
pub(crate) fn fill_text(text: &str, holes: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let hole = holes
            .iter()
            .find(|(name, _)| rest.starts_with(name.as_str()));
        if let Some((name, value)) = hole {
            out.push_str(value);
            rest = &rest[name.len()..];
        } else {
            out.push('{');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

fn fill_value(value: &Value, holes: &[(String, String)]) -> Value {
    match value {
        Value::String(s) => Value::String(fill_text(s, holes)),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill_value(v, holes)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_value(v, holes)))
                .collect(),
        ),
        other => other.clone(),
    }
}

impl Routes {
    /// Reads and checks a route file.
    pub fn parse(text: &str) -> Result<Self, String> {
        let routes: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        routes.check()?;
        Ok(routes)
    }

    /// Whether the routes can be probed with, and if not why.
    pub fn check(&self) -> Result<(), String> {
        for (name, route) in self.all() {
            if name == "transfer" && route.command.is_some() {
                continue;
            }
            let mut words = route.request.split_whitespace();
            let (Some(method), Some(path), None) = (words.next(), words.next(), words.next())
            else {
                return Err(format!(
                    "[{name}] request = \"METHOD /path\", not {:?}",
                    route.request
                ));
            };
            if !matches!(method, "GET" | "POST" | "PUT" | "PATCH" | "DELETE") {
                return Err(format!(
                    "[{name}]: {method} is not GET, POST, PUT, PATCH or DELETE"
                ));
            }
            if !path.starts_with('/') || path.contains("://") {
                return Err(format!("[{name}]: the path {path:?} must start with `/`"));
            }
            let needs_id = !matches!(name, "create" | "logout" | "login" | "register");
            if needs_id && !path.contains("{id}") {
                return Err(format!(
                    "[{name}]: the path {path:?} must name the object, `{{id}}`"
                ));
            }
        }
        for pointer in [&self.id, &self.owner] {
            if !pointer.starts_with('/') {
                return Err(format!("{pointer:?} is not a JSON pointer (`/owner`)"));
            }
        }
        if let Some(update) = &self.update {
            let marked = update
                .body
                .as_ref()
                .is_some_and(|b| b.to_string().contains("{marker}"));
            if !marked || update.field.as_deref().is_none_or(|f| !f.starts_with('/')) {
                return Err(
                    "[update] needs a body holding \"{marker}\" where the new value \
                            goes, and `field`, the JSON pointer where the read shows it"
                        .to_owned(),
                );
            }
        }
        if let Some(login) = &self.login
            && login.token.as_deref().is_none_or(|t| !t.starts_with('/'))
        {
            return Err("[login] needs `token`, the JSON pointer to the token it answers".into());
        }
        if self.register.is_some() && self.login.is_none() {
            return Err("[register] needs a [login]".into());
        }
        if let Some(transfer) = &self.transfer {
            let names_other = transfer.request.contains("{other}")
                || transfer
                    .command
                    .iter()
                    .flatten()
                    .any(|a| a.contains("{other}") || a.contains("GUARDED_PROBE_OTHER"))
                || transfer
                    .body
                    .as_ref()
                    .is_some_and(|b| b.to_string().contains("{other}"));
            if !names_other {
                return Err("[transfer] must name the new owner, `{other}`".to_owned());
            }
        }
        Ok(())
    }

    fn all(&self) -> Vec<(&'static str, &Route)> {
        let mut all = vec![("create", &self.create), ("read", &self.read)];
        for (name, route) in [
            ("update", &self.update),
            ("delete", &self.delete),
            ("transfer", &self.transfer),
            ("logout", &self.logout),
            ("login", &self.login),
            ("register", &self.register),
        ] {
            if let Some(route) = route {
                all.push((name, route));
            }
        }
        all
    }

    /// The owner's field name in a body: the last part of the owner pointer.
    pub fn owner_field(&self) -> &str {
        self.owner.rsplit('/').next().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demos_route_file_is_valid_and_fills_its_placeholders() {
        let routes = Routes::parse(include_str!("../examples/items_api.toml")).unwrap();
        let fill = Fill {
            id: Some("7/../x"),
            other: Some("bob"),
            marker: Some("m1"),
            user: None,
        };
        let update = routes.update.as_ref().unwrap();
        assert_eq!(update.path(&fill), "/items/7%2F%2E%2E%2Fx");
        let sly = Fill {
            id: Some("{other}"),
            ..fill.clone()
        };
        let read = routes.read.path(&sly);
        assert_eq!(read, "/items/%7Bother%7D");
        let mut body = update.clone();
        body.body = Some(serde_json::json!({ "title": "{id}:{marker}" }));
        assert_eq!(
            body.body(&sly),
            Some(serde_json::json!({ "title": "{other}:m1" })),
            "a value is not filled again"
        );
        assert_eq!(
            update.body(&fill),
            Some(serde_json::json!({ "title": "m1" }))
        );
        let transfer = routes.transfer.as_ref().unwrap();
        assert_eq!(
            transfer.body(&fill),
            Some(serde_json::json!({ "to": "bob" }))
        );
        assert_eq!(routes.owner_field(), "owner");
    }

    #[test]
    fn the_conduit_route_file_is_valid() {
        let routes = Routes::parse(include_str!("../examples/conduit.toml")).unwrap();
        assert!(routes.read.public);
        assert_eq!(routes.auth.scheme.as_deref(), Some("Token"));
        assert_eq!(routes.auth.claims["user_id"], "{id}");
        let transfer = routes.transfer.unwrap();
        assert!(transfer.command.unwrap()[0] == "psql");
        assert!(routes.login.unwrap().token.is_some());
    }

    #[test]
    fn a_route_file_that_cannot_be_probed_says_why() {
        let base = "owner = \"/owner\"\n[create]\nrequest = \"POST /items\"\n";
        for (extra, says) in [
            ("[read]\nrequest = \"GET /items\"\n", "must name the object"),
            (
                "[read]\nrequest = \"GET http://evil/items/{id}\"\n",
                "must start with",
            ),
            ("[read]\nrequest = \"TRACE /items/{id}\"\n", "is not GET"),
            (
                "[read]\nrequest = \"GET /items/{id}\"\n[update]\nrequest = \"PUT /items/{id}\"\n",
                "{marker}",
            ),
        ] {
            let e = Routes::parse(&format!("{base}{extra}")).unwrap_err();
            assert!(e.contains(says), "{extra}: {e}");
        }
    }
}
