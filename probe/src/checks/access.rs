//! The stranger at the owner's object: reading, changing, giving it to themselves, deleting
//! it. Each must be refused (403 or 404) and, as the owner's read then shows, change nothing.

use super::{Context, Outcome};
use crate::ProbeError;
use crate::routes::Fill;

pub fn run(cx: &Context<'_>, out: &mut Outcome) -> Result<(), ProbeError> {
    let mut object = cx.create()?;
    let stranger = cx.bearer(cx.stranger)?;
    let routes = cx.routes;
    let attempts = [
        ("read", Some(&routes.read)),
        ("update", routes.update.as_ref()),
        ("transfer to themselves", routes.transfer.as_ref()),
        ("delete", routes.delete.as_ref()),
    ];
    for (what, route) in attempts {
        let Some(route) = route else { continue };
        out.attempts += 1;
        let marker = cx.marker();
        let fill = Fill {
            id: Some(&object.id),
            other: Some(cx.stranger),
            marker: Some(&marker),
        };
        let answer = cx.request(route, &stranger, &fill)?;
        if answer.success() {
            out.find(
                format!("a stranger's {what} of another user's object succeeded"),
                format!(
                    "{} as {}, owned by {}",
                    answer.request, cx.stranger, cx.owner
                ),
                "403 or 404",
                answer.status.to_string(),
                answer.excerpt(),
            );
        }
        if let Some(change) = cx.changed(&mut object)? {
            out.find(
                format!("a stranger's {what} changed another user's object"),
                answer.request.clone(),
                "the object unchanged",
                "changed",
                change,
            );
        }
    }
    Ok(())
}
