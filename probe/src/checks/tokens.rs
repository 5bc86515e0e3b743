//! Broken tokens of the owner, on the owner's own object: each must be refused (401 or 400),
//! on the read and on the update, and the object must not change.

use super::{Context, Outcome, refused};
use crate::ProbeError;
use crate::routes::Fill;

pub fn run(cx: &Context<'_>, out: &mut Outcome) -> Result<(), ProbeError> {
    let mut object = cx.create()?;
    let broken = cx
        .tokens
        .broken(cx.owner, cx.stranger, cx.config.public_key.as_deref());
    if !cx.tokens.mints() {
        cx.progress(
            "tokens: tokens given, not minted: the forged claims are left out (--secret adds them)",
        );
    }
    for token in broken {
        out.attempts += 1;
        let fill = Fill {
            id: Some(&object.id),
            ..Fill::default()
        };
        let read = cx.request(&cx.routes.read, &token.credentials, &fill)?;
        if !refused(read.status) {
            out.find(
                format!("{} accepted", token.name),
                format!("{} as {}, {}", read.request, cx.owner, token.name),
                "401 or 400",
                read.status.to_string(),
                read.excerpt(),
            );
        }
        let Some(update) = &cx.routes.update else {
            continue;
        };
        let marker = cx.marker();
        let fill = Fill {
            id: Some(&object.id),
            marker: Some(&marker),
            ..Fill::default()
        };
        let write = cx.request(update, &token.credentials, &fill)?;
        if !refused(write.status) {
            out.find(
                format!("{} accepted on a write", token.name),
                format!("{} as {}, {}", write.request, cx.owner, token.name),
                "401 or 400, the object unchanged",
                write.status.to_string(),
                write.excerpt(),
            );
        }
        if let Some(change) = cx.changed(&mut object)? {
            out.find(
                format!("{}: the object changed", token.name),
                write.request.clone(),
                "the object unchanged",
                "changed",
                change,
            );
        }
    }
    Ok(())
}
