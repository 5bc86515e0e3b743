//! Check-then-act races, judged from what the API stores, not from what the racing requests
//! answered, so a violation counted is one that happened:
//! - *transfer vs update*: the owner updates an object (with a fresh marker) while giving it
//!   away. Right after the transfer answers, the new owner reads the object; after both,
//!   they read it again. A marker missing from the first read and present in the second is
//!   the old owner's write landing on an object the new owner held; so is an update that
//!   answers with the object already the new owner's.
//! - *transfer vs delete*: the delete succeeded after the new owner could read the object
//!   as theirs (and, for a transfer by request, both succeeding: a deleted object cannot be
//!   given away, a given-away object is not the owner's to delete).
//! - *logout vs write*: a write whose headers (and token) reach the API before the logout and
//!   whose body only after the logout answered; a correct API refuses it, since its write
//!   happens after the token ended.
//!
//! The transfer is the route file's request (as the owner, or with an administrator's
//! `authorization`), or a command the probe runs (an `UPDATE` through `psql`) for an API with
//! no transfer route. Every trial's requests and answers go to the
//! report (`--json`).

use std::hash::{BuildHasher as _, Hasher as _};
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Context, Outcome, refused};
use crate::ProbeError;
use crate::client::{Credentials, Exchange};
use crate::routes::{Fill, Route, fill_text};

/// How long the held write waits for the API to read its headers before the logout.
const HOLD: Duration = Duration::from_millis(500);
/// Trials of the logout race: each is deterministic, unlike the ownership races.
const LOGOUT_TRIALS: usize = 2;

pub fn run(cx: &Context<'_>, out: &mut Outcome) -> Result<(), ProbeError> {
    let routes = cx.routes;
    let mut ran = false;
    if let (Some(update), Some(transfer)) = (&routes.update, &routes.transfer) {
        if let Some(why) = cx.writes_land()? {
            out.inconclusive(format!("transfer vs update: {why}"));
        } else {
            ran = true;
            transfer_vs(cx, out, Race::Update(update), transfer)?;
        }
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
            "needs [transfer] (a request or a command) with [update] or [delete], or [logout] \
             with [update] and --secret",
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

/// What one trial saw.
struct Trial {
    marker: String,
    write: Exchange,
    transfer: Exchange,
    /// The new owner's read right after the transfer answered.
    after_transfer: Exchange,
    /// The read after both, as the object's owner then.
    after: Exchange,
}

impl Trial {
    fn record(&self, name: &str, id: &str, verdict: &str) -> Value {
        json!({
            "race": name, "id": id, "marker": self.marker, "verdict": verdict,
            "write": self.write, "transfer": self.transfer,
            "read_after_transfer": self.after_transfer, "read_after_both": self.after,
        })
    }
}

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
    let owner = cx.bearer(cx.owner())?;
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
        for (t, object) in trials.into_iter().zip(&objects) {
            let t = t?;
            out.attempts += 1;
            let verdict = judge(cx, race, transfer, &t);
            let said = match &verdict {
                Judged::Violation(why) => why.clone(),
                Judged::Unknown(why) => format!("not judged: {why}"),
                Judged::Fine => "fine".to_owned(),
            };
            cx.trials
                .lock()
                .expect("trials")
                .push(t.record(name, &object.id, &said));
            match verdict {
                Judged::Violation(why) => violations.push((t, why)),
                Judged::Unknown(_) => unjudged += 1,
                Judged::Fine => {}
            }
        }
        done += batch;
        cx.progress(&format!(
            "races: {name}: {done}/{pairs} trials, {} violation(s)",
            violations.len()
        ));
    }
    if let Some((t, why)) = violations.first() {
        out.find(
            format!(
                "{name}: {} of {pairs} trials wrote for the old owner after the object changed \
                 hands",
                violations.len()
            ),
            format!(
                "{} racing {} (as {}); every trial is in --json",
                t.write.request,
                t.transfer.request,
                cx.owner()
            ),
            "no write of the old owner after the transfer",
            why.clone(),
            format!(
                "write: {}; transfer: {}; the new owner's read right after the transfer: {}; \
                 the read after both: {}",
                t.write.excerpt(),
                t.transfer.excerpt(),
                t.after_transfer.excerpt(),
                t.after.excerpt()
            ),
        );
    } else if unjudged == pairs && pairs > 0 {
        out.inconclusive(format!(
            "{name}: no trial could be judged (the transfer never succeeded, or the new owner \
             could not read the object); see the trials in --json"
        ));
    }
    Ok(())
}

/// The owner's write and transfer of `id`, sent together; the new owner's read right after
/// the transfer, and the read after both.
fn trial(
    cx: &Context<'_>,
    race: Race<'_>,
    transfer: &Route,
    owner: &Credentials,
    id: &str,
) -> Result<Trial, ProbeError> {
    let marker = cx.marker();
    let other = cx.owner_value(cx.stranger());
    let fill = Fill {
        id: Some(id),
        other: Some(&other),
        marker: Some(&marker),
        user: None,
    };
    let (write, (given, after_transfer)) = thread::scope(|s| {
        let writer = s.spawn(|| {
            jitter(3000);
            let route = match race {
                Race::Update(r) | Race::Delete(r) => r,
            };
            cx.request(route, owner, &fill)
        });
        let giver = s.spawn(|| -> Result<_, ProbeError> {
            jitter(3000);
            let given = give(cx, transfer, &fill)?;
            let read = cx.read(cx.stranger(), id)?;
            Ok((given, read))
        });
        let written = writer.join().expect("no panic");
        let transferred = giver.join().expect("no panic");
        Ok::<_, ProbeError>((written?, transferred?))
    })?;
    let mut after = cx.read(cx.stranger(), id)?;
    if !after.success() {
        after = cx.read(cx.owner(), id)?;
    }
    Ok(Trial {
        marker,
        write,
        transfer: given,
        after_transfer,
        after,
    })
}

/// The transfer: its request as the owner, or its command.
fn give(cx: &Context<'_>, transfer: &Route, fill: &Fill<'_>) -> Result<Exchange, ProbeError> {
    let Some(argv) = &transfer.command else {
        let credentials = match &transfer.authorization {
            Some(value) => Credentials::Authorization(match value.strip_prefix("env:") {
                Some(name) => std::env::var(name).map_err(|e| {
                    ProbeError::Config(format!("[transfer] authorization: ${name}: {e}"))
                })?,
                None => value.clone(),
            }),
            None => cx.bearer(cx.owner())?,
        };
        return cx.request(transfer, &credentials, fill);
    };
    let holes = [
        ("{id}".to_owned(), fill.id.unwrap_or_default().to_owned()),
        (
            "{other}".to_owned(),
            fill.other.unwrap_or_default().to_owned(),
        ),
    ];
    let filled: Vec<String> = argv.iter().map(|a| fill_text(a, &holes)).collect();
    let Some((program, rest)) = filled.split_first() else {
        return Err(ProbeError::Config("[transfer] command is empty".into()));
    };
    let ran = Command::new(program)
        .args(rest)
        .env("GUARDED_PROBE_ID", fill.id.unwrap_or_default())
        .env("GUARDED_PROBE_OTHER", fill.other.unwrap_or_default())
        .output()
        .map_err(|e| ProbeError::Config(format!("[transfer] command {program:?}: {e}")))?;
    let mut body = String::from_utf8_lossy(&ran.stdout).into_owned();
    body.push_str(&String::from_utf8_lossy(&ran.stderr));
    Ok(Exchange {
        request: format!("command {}", filled.join(" ")),
        // 200 for a command that succeeded, 0 for one that did not (its output says why).
        status: if ran.status.success() { 200 } else { 0 },
        body,
        www_authenticate: None,
    })
}

enum Judged {
    Fine,
    Violation(String),
    /// What was stored cannot tell.
    Unknown(String),
}

fn judge(cx: &Context<'_>, race: Race<'_>, transfer: &Route, t: &Trial) -> Judged {
    if !t.transfer.success() {
        return match race {
            // At most one of them succeeded.
            Race::Delete(_) => Judged::Fine,
            Race::Update(_) => Judged::Unknown("the transfer did not succeed".to_owned()),
        };
    }
    let new_owner = cx.owner_value(cx.stranger());
    let held = t.after_transfer.success()
        && t.after_transfer.text_at(&cx.routes.owner).as_deref() == Some(new_owner.as_str());
    match race {
        Race::Delete(_) => {
            if !t.write.success() {
                return Judged::Fine;
            }
            if held && matches!(t.after.status, 404 | 410) {
                Judged::Violation(
                    "the delete removed the object after the new owner read it as theirs"
                        .to_owned(),
                )
            } else if transfer.command.is_none() {
                Judged::Violation(
                    "both succeeded: the delete found the object after it was given away"
                        .to_owned(),
                )
            } else {
                Judged::Fine
            }
        }
        Race::Update(update) => {
            if t.write.success()
                && t.write.text_at(&cx.routes.owner).as_deref() == Some(new_owner.as_str())
            {
                return Judged::Violation(format!(
                    "the update succeeded and answered with the object owned by {new_owner}"
                ));
            }
            if !held {
                return Judged::Unknown(
                    "the new owner's read right after the transfer did not show them as owner"
                        .to_owned(),
                );
            }
            let field = update.field.as_deref().unwrap_or_default();
            let marked = |e: &Exchange| e.text_at(field).as_deref() == Some(t.marker.as_str());
            let still_theirs =
                t.after.text_at(&cx.routes.owner).as_deref() == Some(new_owner.as_str());
            if !marked(&t.after_transfer) && marked(&t.after) && still_theirs {
                Judged::Violation(format!(
                    "the new owner's read right after the transfer lacked the old owner's \
                     marker {}; the stored object shows it since (the update answered {})",
                    t.marker, t.write.status
                ))
            } else {
                Judged::Fine
            }
        }
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
        let token = cx.bearer(cx.owner())?;
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
            let after = cx.read(cx.owner(), &object.id)?;
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
