//! Check-then-act races, judged only from what the API answered and shows afterwards, so a
//! violation counted is one that happened:
//! - *transfer vs update*: the owner updates an object while giving it away; an update that
//!   succeeded and answered with the object already owned by the other user wrote after the
//!   transfer.
//! - *transfer vs delete*: a correct API lets at most one of them succeed (a deleted object
//!   cannot be given away; a given-away object is not the owner's to delete).
//! - *logout vs write*: a write whose headers (and token) reach the API before the logout and
//!   whose body only after the logout answered; a correct API refuses it, since its write
//!   happens after the token ended.

use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::{Context, Outcome, refused};
use crate::ProbeError;
use crate::client::{Credentials, Exchange};
use crate::routes::{Fill, Route};

/// How long the held write waits for the API to read its headers before the logout.
const HOLD: Duration = Duration::from_millis(500);
/// Trials of the logout race: each is deterministic, unlike the ownership races.
const LOGOUT_TRIALS: usize = 2;

pub fn run(cx: &Context<'_>, out: &mut Outcome) -> Result<(), ProbeError> {
    let routes = cx.routes;
    let mut ran = false;
    if let (Some(update), Some(transfer)) = (&routes.update, &routes.transfer) {
        ran = true;
        transfer_vs(cx, out, Race::Update(update), transfer)?;
    }
    if let (Some(delete), Some(transfer)) = (&routes.delete, &routes.transfer) {
        ran = true;
        transfer_vs(cx, out, Race::Delete(delete), transfer)?;
    }
    if let (Some(update), Some(logout)) = (&routes.update, &routes.logout)
        && cx.tokens.mints()
    {
        ran = true;
        logout_vs_write(cx, out, update, logout)?;
    }
    if !ran {
        out.skip(
            "needs [transfer] with [update] or [delete], or [logout] with [update] and --secret",
        );
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Race<'r> {
    Update(&'r Route),
    Delete(&'r Route),
}

/// A random pause of up to `micros`.
fn jitter(micros: u64) {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    thread::sleep(Duration::from_micros(random % micros));
}

/// What one trial saw: the write, and the transfer.
type Trial = (Exchange, Exchange);

fn transfer_vs(
    cx: &Context<'_>,
    out: &mut Outcome,
    race: Race<'_>,
    transfer: &Route,
) -> Result<(), ProbeError> {
    let name = match race {
        Race::Update(_) => "transfer vs update",
        Race::Delete(_) => "transfer vs delete",
    };
    let owner = cx.bearer(cx.owner)?;
    let (pairs, at_once) = (cx.config.race_pairs, cx.config.concurrency.max(1));
    let mut violations: Vec<(Trial, String)> = Vec::new();
    let mut unjudged = 0;
    let mut done = 0;
    while done < pairs {
        let batch = at_once.min(pairs - done);
        let objects: Vec<_> = (0..batch).map(|_| cx.create()).collect::<Result<_, _>>()?;
        let trials: Vec<Result<Trial, ProbeError>> = thread::scope(|s| {
            let handles: Vec<_> = objects
                .iter()
                .map(|object| {
                    let owner = &owner;
                    s.spawn(move || trial(cx, race, transfer, owner, &object.id))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a trial does not panic"))
                .collect()
        });
        for t in trials {
            let (write, given) = t?;
            out.attempts += 1;
            match judge(cx, race, &write, &given) {
                Judged::Violation(why) => violations.push(((write, given), why)),
                Judged::Unknown => unjudged += 1,
                Judged::Fine => {}
            }
        }
        done += batch;
        cx.progress(&format!(
            "races: {name}: {done}/{pairs} trials, {} violation(s)",
            violations.len()
        ));
    }
    if let Some(((write, given), why)) = violations.first() {
        out.find(
            format!(
                "{name}: {} of {pairs} writes landed after the object changed hands",
                violations.len()
            ),
            format!(
                "{} racing {} (as {})",
                write.request, given.request, cx.owner
            ),
            "no write of the old owner after the transfer",
            why.clone(),
            format!("write: {}; transfer: {}", write.excerpt(), given.excerpt()),
        );
    } else if unjudged == pairs && pairs > 0 {
        out.skip(format!(
            "{name}: the update's answers do not show the owner at {}, so no trial could be \
             judged from outside",
            cx.routes.owner
        ));
    }
    Ok(())
}

/// The owner's write and transfer of `id`, sent together.
fn trial(
    cx: &Context<'_>,
    race: Race<'_>,
    transfer: &Route,
    owner: &Credentials,
    id: &str,
) -> Result<Trial, ProbeError> {
    let marker = cx.marker();
    let fill = Fill {
        id: Some(id),
        other: Some(cx.stranger),
        marker: Some(&marker),
    };
    thread::scope(|s| {
        let writer = s.spawn(|| {
            jitter(3000);
            let route = match race {
                Race::Update(r) | Race::Delete(r) => r,
            };
            cx.request(route, owner, &fill)
        });
        let giver = s.spawn(|| {
            jitter(3000);
            cx.request(transfer, owner, &fill)
        });
        let written = writer.join().expect("no panic");
        let transferred = giver.join().expect("no panic");
        Ok((written?, transferred?))
    })
}

enum Judged {
    Fine,
    Violation(String),
    /// The answers cannot tell.
    Unknown,
}

fn judge(cx: &Context<'_>, race: Race<'_>, write: &Exchange, given: &Exchange) -> Judged {
    if !write.success() || !given.success() {
        return Judged::Fine;
    }
    match race {
        Race::Delete(_) => Judged::Violation(
            "both succeeded: the delete found the object after it was given away".to_owned(),
        ),
        Race::Update(_) => match write.text_at(&cx.routes.owner) {
            Some(owner) if owner == cx.stranger => Judged::Violation(format!(
                "the update succeeded and answered with the object owned by {owner}"
            )),
            Some(_) => Judged::Fine,
            None => Judged::Unknown,
        },
    }
}

/// A write whose body reaches the API only after its token's logout answered.
fn logout_vs_write(
    cx: &Context<'_>,
    out: &mut Outcome,
    update: &Route,
    logout: &Route,
) -> Result<(), ProbeError> {
    let mut violations = Vec::new();
    for _ in 0..LOGOUT_TRIALS {
        out.attempts += 1;
        let object = cx.create()?;
        let token = cx.bearer(cx.owner)?;
        let marker = cx.marker();
        let fill = Fill {
            id: Some(&object.id),
            marker: Some(&marker),
            ..Fill::default()
        };
        let body = update.body(&fill).unwrap_or_default();
        let (gate, opened) = mpsc::channel();
        let (held, ended) = thread::scope(|s| {
            let held = s.spawn(|| {
                cx.client
                    .send_held(update.method(), &update.path(&fill), &token, &body, opened)
            });
            thread::sleep(HOLD);
            let ended = cx.request(logout, &token, &Fill::default());
            let _ = gate.send(());
            (held.join().expect("no panic"), ended)
        });
        let (held, ended) = (held?, ended?);
        if !ended.success() {
            out.skip(format!(
                "logout vs write: the logout answered {}",
                ended.excerpt()
            ));
            return Ok(());
        }
        if !refused(held.status) && held.success() {
            let after = cx.read(cx.owner, &object.id)?;
            let field = update.field.as_deref().unwrap_or_default();
            let landed = after.text_at(field).as_deref() == Some(marker.as_str());
            violations.push((held, ended, landed, after));
        }
    }
    cx.progress(&format!(
        "races: logout vs write: {} violation(s)",
        violations.len()
    ));
    if let Some((held, ended, landed, after)) = violations.first() {
        out.find(
            format!(
                "logout vs write: {} of {LOGOUT_TRIALS} writes accepted after the logout answered",
                violations.len()
            ),
            format!(
                "{} (headers before {}, body after it answered {})",
                held.request, ended.request, ended.status
            ),
            "401: the token ended before the write",
            format!(
                "{}{}",
                held.status,
                if *landed {
                    ", and the read shows its value"
                } else {
                    ""
                }
            ),
            format!("write: {}; read after: {}", held.excerpt(), after.excerpt()),
        );
    }
    Ok(())
}
