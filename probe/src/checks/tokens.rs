//! Broken tokens of the owner, on the owner's own object: each must be refused, on the read
//! (unless anyone may read) and on the update, and the object must not change. One broken
//! token is one attempt, and at most one finding, with the read, the write and the change
//! it made as its evidence.

use super::{Context, Outcome};
use crate::ProbeError;
use crate::routes::Fill;

pub fn run(cx: &Context<'_>, out: &mut Outcome) -> Result<(), ProbeError> {
    let mut object = cx.create()?;
    let broken = cx.broken()?;
    if !cx.tokens.mints() {
        cx.progress(
            "tokens: tokens given, not minted: the forged claims are left out (--secret adds them)",
        );
    }
    let public = cx.routes.read.public;
    if public {
        cx.note_public("any token or none may read: broken tokens are tried on writes only");
    }
    let update = match cx.writes_land()? {
        Some(why) => {
            out.inconclusive(format!("writes: {why}"));
            None
        }
        None => cx.routes.update.as_ref(),
    };
    if public && update.is_none() {
        out.skip("the read is public and no write can be judged");
        return Ok(());
    }
    for token in broken {
        out.attempts += 1;
        let mut accepted = Vec::new();
        let mut requests = Vec::new();
        let mut evidence = Vec::new();
        if !public {
            let fill = Fill {
                id: Some(&object.id),
                ..Fill::default()
            };
            let read = cx.request(&cx.routes.read, &token.credentials, &fill)?;
            requests.push(read.request.clone());
            if read.success() {
                accepted.push(format!("the read answered {}", read.status));
                evidence.push(format!("read: {}", read.excerpt()));
            }
        }
        if let Some(update) = update {
            let marker = cx.marker();
            let fill = Fill {
                id: Some(&object.id),
                marker: Some(&marker),
                ..Fill::default()
            };
            let write = cx.request(update, &token.credentials, &fill)?;
            requests.push(write.request.clone());
            if write.success() {
                accepted.push(format!("the write answered {}", write.status));
                evidence.push(format!("write: {}", write.excerpt()));
            }
            if let Some(change) = cx.changed(&mut object)? {
                accepted.push("the object changed".to_owned());
                evidence.push(change);
            }
        }
        if !accepted.is_empty() {
            out.find(
                format!("{} accepted", token.name),
                format!(
                    "{} as {}, {}",
                    requests.join(" then "),
                    cx.owner(),
                    token.name
                ),
                "refused (401 or 400), the object unchanged",
                accepted.join("; "),
                evidence.join("; "),
            );
        }
    }
    Ok(())
}
