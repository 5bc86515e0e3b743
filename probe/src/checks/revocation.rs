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
    let token = cx.bearer(cx.owner)?;
    let answered = cx.request(logout, &token, &Fill::default())?;
    out.attempts += 1;
    if !answered.success() {
        out.skip(format!("the logout answered {}", answered.excerpt()));
        return Ok(());
    }
    let Credentials::Bearer(raw) = &token else {
        unreachable!("bearer() gives a bearer token")
    };
    let fill = Fill {
        id: Some(&object.id),
        ..Fill::default()
    };
    let read = cx.request(&cx.routes.read, &token, &fill)?;
    if !refused(read.status) {
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
    if let Some(update) = &cx.routes.update {
        out.attempts += 1;
        let marker = cx.marker();
        let fill = Fill {
            id: Some(&object.id),
            marker: Some(&marker),
            ..Fill::default()
        };
        let write = cx.request(update, &token, &fill)?;
        if !refused(write.status) {
            out.find(
                "a logged-out token still writes",
                format!(
                    "{} with a token after {} answered {}",
                    write.request, answered.request, answered.status
                ),
                "401, the object unchanged",
                write.status.to_string(),
                write.excerpt(),
            );
        }
        if let Some(change) = cx.changed(&mut object)? {
            out.find(
                "a logged-out token changed the object",
                write.request.clone(),
                "the object unchanged",
                "changed",
                change,
            );
        }
    }
    Ok(())
}
