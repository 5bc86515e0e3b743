//! The checks, and what they share: the users' credentials, fresh objects, and the owner's
//! read that tells whether a refused request changed anything.

mod access;
mod mass;
mod races;
mod revocation;
mod tokens;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

use crate::client::{AuthStyle, Client, Credentials, Exchange};
use crate::routes::{Fill, Route, Routes, fill_text};
use crate::tokens::Claims;
use crate::users::User;
use crate::{Config, Finding, ProbeError, Summary, Tokens};

/// Statuses that refuse a request's credentials: 401 and 400 mostly, 403 for servers that
/// say so, 413 and 431 for a token too large to read, or no answer (0: the server closed the
/// connection, as some do before reading the body of a request they refuse).
pub fn refused(status: u16) -> bool {
    matches!(status, 0 | 400 | 401 | 403 | 413 | 431)
}

/// What every check works with.
pub struct Context<'a> {
    pub client: &'a Client,
    pub routes: &'a Routes,
    pub tokens: &'a Tokens,
    pub config: &'a Config,
    users: (User, User),
    claims: (Claims, Claims),
    /// Tokens had from the login route.
    logged: Vec<(String, String)>,
    markers: AtomicUsize,
    progress: &'a (dyn Fn(&str) + Sync),
    /// Every object the probe created, to delete at the end.
    created: Mutex<Vec<String>>,
    /// The reads treated as public, and why.
    pub public: Mutex<Vec<String>>,
    /// Every race trial, for `--json`.
    pub trials: Mutex<Vec<Value>>,
    /// Whether the owner's own update shows its marker in the read (`None` when it does).
    lands: OnceLock<Option<String>>,
}

/// An object the probe created, and how its owner last read it.
pub struct Object {
    pub id: String,
    pub seen: Exchange,
}

/// A user's minted claims: the route file's templates filled with their attributes.
fn claims_of(templates: &BTreeMap<String, String>, user: &User) -> Claims {
    let holes = user.holes();
    templates
        .iter()
        .map(|(name, template)| {
            let value = fill_text(template, &holes);
            let value = match value.parse::<u64>() {
                Ok(n) if !value.is_empty() && !value.starts_with('0') || value == "0" => json!(n),
                _ => json!(value),
            };
            (name.clone(), value)
        })
        .collect()
}

impl<'a> Context<'a> {
    /// The users' tokens had (logged in when the route file says so), and the way the API
    /// takes them found out.
    pub fn setup(
        config: &'a Config,
        client: &'a Client,
        progress: &'a (dyn Fn(&str) + Sync),
    ) -> Result<Self, ProbeError> {
        let users = (
            User::parse(&config.users.0).map_err(ProbeError::Config)?,
            User::parse(&config.users.1).map_err(ProbeError::Config)?,
        );
        if users.0.name == users.1.name {
            return Err(ProbeError::Config("the two users must differ".into()));
        }
        let templates = &config.routes.auth.claims;
        let claims = (
            claims_of(templates, &users.0),
            claims_of(templates, &users.1),
        );
        let mut cx = Self {
            client,
            routes: &config.routes,
            tokens: &config.tokens,
            config,
            users,
            claims,
            logged: Vec::new(),
            markers: AtomicUsize::new(0),
            progress,
            created: Mutex::new(Vec::new()),
            public: Mutex::new(Vec::new()),
            trials: Mutex::new(Vec::new()),
            lands: OnceLock::new(),
        };
        cx.choose_auth()?;
        if matches!(config.tokens, Tokens::Login) {
            for user in [cx.users.0.clone(), cx.users.1.clone()] {
                let token = cx.login(&user)?;
                cx.logged.push((user.name.clone(), token));
            }
        }
        Ok(cx)
    }

    /// The owner's name (the first user).
    pub fn owner(&self) -> &str {
        &self.users.0.name
    }

    /// The stranger's name (the second user).
    pub fn stranger(&self) -> &str {
        &self.users.1.name
    }

    fn user(&self, name: &str) -> Option<(&User, &Claims)> {
        if name == self.users.0.name {
            Some((&self.users.0, &self.claims.0))
        } else if name == self.users.1.name {
            Some((&self.users.1, &self.claims.1))
        } else {
            None
        }
    }

    /// What the API shows as `user`'s ownership (`[auth] owner_value`).
    pub fn owner_value(&self, user: &str) -> String {
        let attr = self.routes.auth.owner_value.as_deref();
        self.user(user)
            .and_then(|(u, _)| u.get(attr?))
            .unwrap_or_else(|| user.to_owned())
    }

    /// How tokens go: as the route file says, else the scheme the API's 401 names
    /// (`WWW-Authenticate`), else `Bearer`.
    fn choose_auth(&self) -> Result<(), ProbeError> {
        let auth = &self.routes.auth;
        let style = if let Some(header) = &auth.header {
            let (name, value) = header.split_once(':').ok_or_else(|| {
                ProbeError::Config(format!("the header {header:?}: write `Name: ...{{token}}`"))
            })?;
            AuthStyle::Header {
                name: name.trim().to_ascii_lowercase(),
                value: value.trim().to_owned(),
            }
        } else if let Some(cookie) = &auth.cookie {
            AuthStyle::Cookie(cookie.clone())
        } else if let Some(scheme) = &auth.scheme {
            AuthStyle::scheme(scheme)
        } else {
            // A write without a token: an API that checks tokens first names its scheme.
            let route = [&self.routes.update, &self.routes.delete]
                .into_iter()
                .flatten()
                .next()
                .unwrap_or(&self.routes.create);
            let fill = Fill {
                id: Some("probe-scheme"),
                other: Some(self.stranger()),
                marker: Some("probe-scheme"),
                user: None,
            };
            let answer = self.request(route, &Credentials::None, &fill)?;
            let scheme = answer
                .www_authenticate
                .as_deref()
                .and_then(|w| w.split([' ', ',']).next())
                .filter(|s| !s.is_empty());
            if let Some(scheme) = scheme {
                self.progress(&format!("auth: the API's 401 names the scheme {scheme}"));
            }
            AuthStyle::scheme(scheme.unwrap_or("Bearer"))
        };
        self.client.set_auth(style);
        Ok(())
    }

    /// A token of `user` from the login route, registering them first when it fails.
    fn login(&self, user: &User) -> Result<String, ProbeError> {
        let login = self.routes.login.as_ref().ok_or_else(|| {
            ProbeError::Config("tokens by login need a [login] in the route file".into())
        })?;
        let pointer = login.token.as_deref().unwrap_or_default();
        let fill = Fill {
            user: Some(user),
            ..Fill::default()
        };
        let first = self.request(login, &Credentials::None, &fill)?;
        if let Some(token) = first.text_at(pointer).filter(|_| first.success()) {
            return Ok(token);
        }
        let Some(register) = &self.routes.register else {
            return Err(ProbeError::Setup(format!(
                "{} for {} answered {}",
                first.request,
                user.name,
                first.excerpt()
            )));
        };
        let registered = self.request(register, &Credentials::None, &fill)?;
        if let Some(token) = registered.text_at(pointer).filter(|_| registered.success()) {
            return Ok(token);
        }
        let again = self.request(login, &Credentials::None, &fill)?;
        again
            .text_at(pointer)
            .filter(|_| again.success())
            .ok_or_else(|| {
                ProbeError::Setup(format!(
                    "{} for {} answered {}; {} answered {}",
                    registered.request,
                    user.name,
                    registered.excerpt(),
                    again.request,
                    again.excerpt()
                ))
            })
    }

    pub fn progress(&self, line: &str) {
        (self.progress)(line);
    }

    /// A valid token of `user`: fresh when minted.
    pub fn raw_token(&self, user: &str) -> Result<String, ProbeError> {
        let empty = Claims::new();
        let claims = self.user(user).map_or(&empty, |(_, c)| c);
        self.tokens
            .token(user, claims, &self.logged)
            .ok_or_else(|| ProbeError::Config(format!("no token for the user {user:?}")))
    }

    /// A valid token of `user`, where the API takes it.
    pub fn bearer(&self, user: &str) -> Result<Credentials, ProbeError> {
        self.raw_token(user).map(Credentials::Token)
    }

    /// The owner's broken tokens.
    pub(crate) fn broken(&self) -> Result<Vec<crate::tokens::Broken>, ProbeError> {
        Ok(self.tokens.broken(
            (self.owner(), self.raw_token(self.owner())?, &self.claims.0),
            (
                self.stranger(),
                self.raw_token(self.stranger())?,
                &self.claims.1,
            ),
            self.config.public_key.as_deref(),
        ))
    }

    /// A value no request sent before.
    pub fn marker(&self) -> String {
        let n = self.markers.fetch_add(1, Ordering::Relaxed);
        format!("probe-{}-{n}", std::process::id())
    }

    /// `route` with `credentials` and the placeholders of `fill`.
    pub fn request(
        &self,
        route: &Route,
        credentials: &Credentials,
        fill: &Fill<'_>,
    ) -> Result<Exchange, ProbeError> {
        let body = route.body(fill);
        self.client.send(
            route.method(),
            &route.path(fill),
            credentials,
            body.as_ref(),
        )
    }

    /// A new object of `user`, created with `body` (the route's own when `None`).
    pub fn create_with(&self, user: &str, body: Option<&Value>) -> Result<Exchange, ProbeError> {
        let route = &self.routes.create;
        let marker = self.marker();
        let fill = Fill {
            marker: Some(&marker),
            user: self.user(user).map(|(u, _)| u),
            ..Fill::default()
        };
        let body = body.cloned().or_else(|| route.body(&fill));
        let created = self.client.send(
            route.method(),
            &route.path(&fill),
            &self.bearer(user)?,
            body.as_ref(),
        )?;
        if created.success()
            && let Some(id) = created.text_at(&self.routes.id)
        {
            self.created.lock().expect("created").push(id);
        }
        Ok(created)
    }

    /// A new object of the owner, read back.
    pub fn create(&self) -> Result<Object, ProbeError> {
        let created = self.create_with(self.owner(), None)?;
        if !created.success() {
            return Err(ProbeError::Setup(format!(
                "{} as {} answered {}",
                created.request,
                self.owner(),
                created.excerpt()
            )));
        }
        let id = created.text_at(&self.routes.id).ok_or_else(|| {
            ProbeError::Setup(format!(
                "{} answered no id at {} (the route file's `id`, --id): {}",
                created.request,
                self.routes.id,
                created.excerpt()
            ))
        })?;
        let seen = self.read(self.owner(), &id)?;
        let expected = self.owner_value(self.owner());
        let shown = seen.text_at(&self.routes.owner);
        if !seen.success() || shown.as_deref() != Some(expected.as_str()) {
            return Err(ProbeError::Setup(format!(
                "the owner's read of a new object must show {expected:?} at {} (the route                  file's `owner`; `[auth] owner_value`, --owner-value, names the user's                  attribute shown): {} answered {} with {} there; {}",
                self.routes.owner,
                seen.request,
                seen.status,
                shown.map_or_else(|| "nothing".to_owned(), |s| format!("{s:?}")),
                seen.excerpt()
            )));
        }
        Ok(Object { id, seen })
    }

    /// `user`'s read of object `id`.
    pub fn read(&self, user: &str, id: &str) -> Result<Exchange, ProbeError> {
        let fill = Fill {
            id: Some(id),
            ..Fill::default()
        };
        self.request(&self.routes.read, &self.bearer(user)?, &fill)
    }

    /// Records that a read was treated as public.
    pub fn note_public(&self, what: &str) {
        let line = format!("{} ({what})", self.routes.read.request);
        let mut public = self.public.lock().expect("public");
        if !public.contains(&line) {
            public.push(line);
        }
    }

    /// `None` when the owner's own update shows its marker in the read; otherwise why a
    /// write check cannot tell a refused write from one that changed nothing.
    pub fn writes_land(&self) -> Result<Option<String>, ProbeError> {
        if let Some(known) = self.lands.get() {
            return Ok(known.clone());
        }
        let Some(update) = &self.routes.update else {
            return Ok(None);
        };
        let object = self.create()?;
        let marker = self.marker();
        let fill = Fill {
            id: Some(&object.id),
            marker: Some(&marker),
            ..Fill::default()
        };
        let sent = self.request(update, &self.bearer(self.owner())?, &fill)?;
        let after = self.read(self.owner(), &object.id)?;
        let field = update.field.as_deref().unwrap_or_default();
        let verdict = (after.text_at(field).as_deref() != Some(marker.as_str())).then(|| {
            format!(
                "the owner's own update ({} answered {}) does not show its marker at {field}                  in the read ({}), so a write refused cannot be told from one that did nothing",
                sent.request,
                sent.status,
                after.excerpt()
            )
        });
        Ok(self.lands.get_or_init(|| verdict).clone())
    }

    /// How the object changed since its owner last read it, if it did: the owner reads it
    /// again (and that read becomes the one later reads are compared with).
    pub fn changed(&self, object: &mut Object) -> Result<Option<String>, ProbeError> {
        let now = self.read(self.owner(), &object.id)?;
        let same = now.status == object.seen.status && now.json() == object.seen.json();
        let change = (!same).then(|| {
            format!(
                "the owner's read was {}, is now {}",
                object.seen.excerpt(),
                now.excerpt()
            )
        });
        object.seen = now;
        Ok(change)
    }

    /// Deletes every object the probe created (as the owner, else as the stranger, who may
    /// have been given it); returns those it could not.
    pub fn clean_up(&self) -> Vec<String> {
        let ids = std::mem::take(&mut *self.created.lock().expect("created"));
        self.client.lift_bounds();
        let Some(delete) = &self.routes.delete else {
            return ids;
        };
        let gone = |status: u16| (200..300).contains(&status) || matches!(status, 404 | 410);
        let mut left = Vec::new();
        for id in ids {
            let fill = Fill {
                id: Some(&id),
                ..Fill::default()
            };
            let mut deleted = false;
            let mut statuses = Vec::new();
            for user in [self.owner(), self.stranger()] {
                let Ok(credentials) = self.bearer(user) else {
                    continue;
                };
                match self.request(delete, &credentials, &fill) {
                    Ok(answer) if answer.success() => {
                        deleted = true;
                        break;
                    }
                    Ok(answer) => statuses.push(answer.status),
                    Err(_) => break,
                }
            }
            let gone_for_both = statuses.len() == 2 && statuses.iter().all(|s| gone(*s));
            if !(deleted || gone_for_both) {
                left.push(id);
            }
        }
        left
    }
}

/// Runs check `name`.
pub fn run(name: &str, cx: &Context<'_>) -> Result<(Summary, Vec<Finding>), ProbeError> {
    let mut out = Outcome::new(name_of(name));
    match name {
        "tokens" => tokens::run(cx, &mut out)?,
        "access" => access::run(cx, &mut out)?,
        "mass-assignment" => mass::run(cx, &mut out)?,
        "revocation" => revocation::run(cx, &mut out)?,
        "races" => races::run(cx, &mut out)?,
        _ => unreachable!("checked against CHECKS"),
    }
    Ok(out.finish())
}

fn name_of(name: &str) -> &'static str {
    crate::CHECKS
        .iter()
        .find(|c| **c == name)
        .copied()
        .unwrap_or("unknown")
}

/// What a check collects as it runs.
pub struct Outcome {
    check: &'static str,
    pub attempts: usize,
    pub findings: Vec<Finding>,
    pub skipped: Option<String>,
    pub inconclusive: Option<String>,
}

impl Outcome {
    fn new(check: &'static str) -> Self {
        Self {
            check,
            attempts: 0,
            findings: Vec::new(),
            skipped: None,
            inconclusive: None,
        }
    }

    pub fn find(
        &mut self,
        name: impl Into<String>,
        request: impl Into<String>,
        expected: impl Into<String>,
        observed: impl Into<String>,
        evidence: impl Into<String>,
    ) {
        self.findings.push(Finding {
            check: self.check,
            name: name.into(),
            request: request.into(),
            expected: expected.into(),
            observed: observed.into(),
            evidence: evidence.into(),
        });
    }

    pub fn skip(&mut self, why: impl Into<String>) {
        self.skipped = Some(why.into());
    }

    /// Some of the check's attempts could not be judged, and why.
    pub fn inconclusive(&mut self, why: impl Into<String>) {
        self.inconclusive = Some(why.into());
    }

    fn finish(self) -> (Summary, Vec<Finding>) {
        let summary = Summary {
            check: self.check,
            attempts: self.attempts,
            findings: self.findings.len(),
            skipped: self.skipped,
            inconclusive: self.inconclusive,
        };
        (summary, self.findings)
    }
}
