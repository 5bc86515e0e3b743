//! The checks, and what they share: the users' credentials, fresh objects, and the owner's
//! read that tells whether a refused request changed anything.

mod access;
mod mass;
mod races;
mod revocation;
mod tokens;

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::client::{Client, Credentials, Exchange};
use crate::routes::{Fill, Route, Routes};
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
    pub owner: &'a str,
    pub stranger: &'a str,
    pub config: &'a Config,
    markers: AtomicUsize,
    progress: &'a (dyn Fn(&str) + Sync),
}

/// An object the probe created, and how its owner last read it.
pub struct Object {
    pub id: String,
    pub seen: Exchange,
}

impl<'a> Context<'a> {
    pub fn new(
        config: &'a Config,
        client: &'a Client,
        progress: &'a (dyn Fn(&str) + Sync),
    ) -> Self {
        Self {
            client,
            routes: &config.routes,
            tokens: &config.tokens,
            owner: &config.users.0,
            stranger: &config.users.1,
            config,
            markers: AtomicUsize::new(0),
            progress,
        }
    }

    pub fn progress(&self, line: &str) {
        (self.progress)(line);
    }

    /// A valid token of `user`, as a bearer header: fresh when minted.
    pub fn bearer(&self, user: &str) -> Result<Credentials, ProbeError> {
        self.tokens
            .token(user)
            .map(Credentials::Bearer)
            .ok_or_else(|| ProbeError::Config(format!("no token for the user {user:?}")))
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
    pub fn create_with(
        &self,
        user: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Exchange, ProbeError> {
        let route = &self.routes.create;
        let marker = self.marker();
        let fill = Fill {
            marker: Some(&marker),
            ..Fill::default()
        };
        let body = body.cloned().or_else(|| route.body(&fill));
        self.client.send(
            route.method(),
            &route.path(&fill),
            &self.bearer(user)?,
            body.as_ref(),
        )
    }

    /// A new object of the owner, read back.
    pub fn create(&self) -> Result<Object, ProbeError> {
        let created = self.create_with(self.owner, None)?;
        if !created.success() {
            return Err(ProbeError::Setup(format!(
                "{} as {} answered {}",
                created.request,
                self.owner,
                created.excerpt()
            )));
        }
        let id = created.text_at(&self.routes.id).ok_or_else(|| {
            ProbeError::Setup(format!(
                "{} answered no id at {} (the route file's `id`): {}",
                created.request,
                self.routes.id,
                created.excerpt()
            ))
        })?;
        let seen = self.read(self.owner, &id)?;
        if !seen.success() || seen.text_at(&self.routes.owner).as_deref() != Some(self.owner) {
            return Err(ProbeError::Setup(format!(
                "the owner's read of a new object must show them at {} (the route file's \
                 `owner`): {} answered {}",
                self.routes.owner,
                seen.request,
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

    /// How the object changed since its owner last read it, if it did: the owner reads it
    /// again (and that read becomes the one later reads are compared with).
    pub fn changed(&self, object: &mut Object) -> Result<Option<String>, ProbeError> {
        let now = self.read(self.owner, &object.id)?;
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
}

impl Outcome {
    fn new(check: &'static str) -> Self {
        Self {
            check,
            attempts: 0,
            findings: Vec::new(),
            skipped: None,
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

    fn finish(self) -> (Summary, Vec<Finding>) {
        let summary = Summary {
            check: self.check,
            attempts: self.attempts,
            findings: self.findings.len(),
            skipped: self.skipped,
        };
        (summary, self.findings)
    }
}
