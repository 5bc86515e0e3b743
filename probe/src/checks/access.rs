//! The stranger at the owner's object: reading (unless anyone may), changing, giving it to
//! themselves, deleting it. Each must be refused (403 or 404) and, as the owner's read then
//! shows, change nothing. One attempt is at most one finding: its answer and the change it
//! made together.

use super::{Context, Outcome};
use crate::ProbeError;
use crate::routes::Fill;

pub fn run(cx: &Context<'_>, out: &mut Outcome) -> Result<(), ProbeError> {
    let mut object = cx.create()?;
    let stranger = cx.bearer(cx.stranger())?;
    let routes = cx.routes;
    let writes = match cx.writes_land()? {
        Some(why) => {
            out.inconclusive(format!("the update: {why}"));
            false
        }
        None => true,
    };
    let read = if routes.read.public {
        cx.note_public("a stranger's read is no finding");
        None
    } else {
        Some(&routes.read)
    };
    let attempts = [
        ("read", read),
        ("update", routes.update.as_ref().filter(|_| writes)),
        (
            "transfer to themselves",
            routes.transfer.as_ref().filter(|t| t.command.is_none()),
        ),
        ("delete", routes.delete.as_ref()),
    ];
    for (what, route) in attempts {
        let Some(route) = route else { continue };
        out.attempts += 1;
        let marker = cx.marker();
        let other = cx.owner_value(cx.stranger());
        let fill = Fill {
            id: Some(&object.id),
            other: Some(&other),
            marker: Some(&marker),
            user: None,
        };
        let answer = cx.request(route, &stranger, &fill)?;
        let change = cx.changed(&mut object)?;
        let mut observed = Vec::new();
        if answer.success() {
            observed.push(format!("it succeeded ({})", answer.status));
        }
        if change.is_some() {
            observed.push("the object changed".to_owned());
        }
        if !observed.is_empty() {
            out.find(
                format!("a stranger's {what} of another user's object"),
                format!(
                    "{} as {}, owned by {}",
                    answer.request,
                    cx.stranger(),
                    cx.owner()
                ),
                "403 or 404, the object unchanged",
                observed.join("; "),
                format!(
                    "answer: {}{}",
                    answer.excerpt(),
                    change.map_or_else(String::new, |c| format!("; {c}"))
                ),
            );
        }
    }
    Ok(())
}
