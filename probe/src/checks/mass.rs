//! The owner field in a request body: a create or an update naming the stranger as owner must
//! not make the object theirs.

use serde_json::{Value, json};

use super::{Context, Outcome};
use crate::ProbeError;
use crate::routes::Fill;

pub fn run(cx: &Context<'_>, out: &mut Outcome) -> Result<(), ProbeError> {
    let field = cx.routes.owner_field();
    let with_owner = |body: Option<Value>| -> Option<Value> {
        let mut body = body.unwrap_or_else(|| json!({}));
        body.as_object_mut()?
            .insert(field.to_owned(), json!(cx.stranger));
        Some(body)
    };

    out.attempts += 1;
    let marker = cx.marker();
    let fill = Fill {
        marker: Some(&marker),
        ..Fill::default()
    };
    let Some(body) = with_owner(cx.routes.create.body(&fill)) else {
        out.skip("the create's body is not a JSON object");
        return Ok(());
    };
    let created = cx.create_with(cx.owner, Some(&body))?;
    if created.success()
        && let Some(id) = created.text_at(&cx.routes.id)
        && let Some(evidence) = owned_by_stranger(cx, &id)?
    {
        out.find(
            format!("the create took the owner from the body (`{field}`)"),
            format!("{} as {}, body {body}", created.request, cx.owner),
            format!("the object owned by {}, or the request refused", cx.owner),
            format!("owned by {}", cx.stranger),
            evidence,
        );
    }

    let Some(update) = &cx.routes.update else {
        return Ok(());
    };
    out.attempts += 1;
    let object = cx.create()?;
    let marker = cx.marker();
    let fill = Fill {
        id: Some(&object.id),
        marker: Some(&marker),
        ..Fill::default()
    };
    let Some(body) = with_owner(update.body(&fill)) else {
        return Ok(());
    };
    let sent = cx.client.send(
        update.method(),
        &update.path(&fill),
        &cx.bearer(cx.owner)?,
        Some(&body),
    )?;
    if let Some(evidence) = owned_by_stranger(cx, &object.id)? {
        out.find(
            format!("the update took the owner from the body (`{field}`)"),
            format!("{} as {}, body {body}", sent.request, cx.owner),
            format!("the object still owned by {}", cx.owner),
            format!("owned by {}", cx.stranger),
            evidence,
        );
    }
    Ok(())
}

/// Evidence that object `id` is the stranger's: the owner's read shows the stranger as owner,
/// or the owner cannot read it and the stranger can.
fn owned_by_stranger(cx: &Context<'_>, id: &str) -> Result<Option<String>, ProbeError> {
    let owners = cx.read(cx.owner, id)?;
    if owners.success() {
        let owner = owners.text_at(&cx.routes.owner);
        return Ok((owner.as_deref() == Some(cx.stranger)).then(|| owners.excerpt()));
    }
    let strangers = cx.read(cx.stranger, id)?;
    Ok(strangers.success().then(|| {
        format!(
            "the owner's read: {}; the stranger's: {}",
            owners.excerpt(),
            strangers.excerpt()
        )
    }))
}
