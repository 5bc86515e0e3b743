//! A token used again after the logout route answered for it: refused, and the object
//! unchanged.

use super::{Context, Outcome, refused};
use crate::ProbeError;
use crate::client::Credentials;
use crate::routes::Fill;

pub fn run(cx: &Context<'_>, out: &mut Outcome) -> Result<(), ProbeError> {
    let Some(logout) = &cx.routes.logout else {
        out.skip("no [logout] route");
        return Ok(());
    };
    if !cx.tokens.mints() {
        out.skip("needs --secret: logging out a given token would end it for the other checks");
        return Ok(());
    }
    let mut object = cx.create()?;
    // A token of its own, so the owner's other requests are not logged out.
    let token = cx.bearer(cx.owner())?;
    let answered = cx.request(logout, &token, &Fill::default())?;
    out.attempts += 1;
    if !answered.success() {
        out.skip(format!("the logout answered {}", answered.excerpt()));
        return Ok(());
    }
    let Credentials::Token(raw) = &token else {
        unreachable!("bearer() gives a bearer token")
    };
    let fill = Fill {
        id: Some(&object.id),
        ..Fill::default()
    };
    let read = cx.request(&cx.routes.read, &token, &fill)?;
    if cx.routes.read.public {
        cx.note_public("a logged-out token's read is no finding");
    } else if !refused(read.status) {
        out.find(
            "a logged-out token still reads",
            format!(
                "{} with a token after {} answered {}",
                read.request, answered.request, answered.status
            ),
            "401",
            read.status.to_string(),
            format!(
                "{}; token …{}",
                read.excerpt(),
                &raw[raw.len().saturating_sub(12)..]
            ),
        );
    }
    let writes = cx.writes_land()?;
    if let Some(why) = &writes {
        out.inconclusive(format!("the write: {why}"));
    }
    if let Some(update) = cx.routes.update.as_ref().filter(|_| writes.is_none()) {
        out.attempts += 1;
        let marker = cx.marker();
        let fill = Fill {
            id: Some(&object.id),
            marker: Some(&marker),
            ..Fill::default()
        };
        let write = cx.request(update, &token, &fill)?;
        let change = cx.changed(&mut object)?;
        if !refused(write.status) || change.is_some() {
            out.find(
                "a logged-out token still writes",
                format!(
                    "{} with a token after {} answered {}",
                    write.request, answered.request, answered.status
                ),
                "401, the object unchanged",
                format!(
                    "{}{}",
                    write.status,
                    if change.is_some() {
                        ", and the object changed"
                    } else {
                        ""
                    }
                ),
                format!(
                    "write: {}{}",
                    write.excerpt(),
                    change.map_or_else(String::new, |c| format!("; {c}"))
                ),
            );
        }
    }
    Ok(())
}
