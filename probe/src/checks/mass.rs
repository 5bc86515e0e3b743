//! The owner field in a request body: a create or an update naming the stranger as owner must
//! not make the object theirs. The field goes where the read shows the owner, inside the
//! body's envelope (`{"article": {"author": {"username": ...}}}`).

use serde_json::{Value, json};

use super::{Context, Outcome};
use crate::ProbeError;
use crate::routes::Fill;

pub fn run(cx: &Context<'_>, out: &mut Outcome) -> Result<(), ProbeError> {
    let field = cx.routes.owner_field();
    let stranger = cx.owner_value(cx.stranger());
    let with_owner = |body: Option<Value>| -> Option<Value> {
        let mut body = body.unwrap_or_else(|| json!({}));
        place(&mut body, &cx.routes.owner, &stranger)?;
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
    let created = cx.create_with(cx.owner(), Some(&body))?;
    if created.success()
        && let Some(id) = created.text_at(&cx.routes.id)
        && let Some(evidence) = owned_by_stranger(cx, &id)?
    {
        out.find(
            format!("the create took the owner from the body (`{field}`)"),
            format!("{} as {}, body {body}", created.request, cx.owner()),
            format!("the object owned by {}, or the request refused", cx.owner()),
            format!("owned by {}", cx.stranger()),
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
        &cx.bearer(cx.owner())?,
        Some(&body),
    )?;
    if let Some(why) = cx.writes_land()? {
        out.inconclusive(format!("the update: {why}"));
        return Ok(());
    }
    if let Some(evidence) = owned_by_stranger(cx, &object.id)? {
        out.find(
            format!("the update took the owner from the body (`{field}`)"),
            format!("{} as {}, body {body}", sent.request, cx.owner()),
            format!("the object still owned by {}", cx.owner()),
            format!("owned by {}", cx.stranger()),
            evidence,
        );
    }
    Ok(())
}

/// Evidence that object `id` is the stranger's: the owner's read shows the stranger as owner,
/// or the owner cannot read it and the stranger can.
fn owned_by_stranger(cx: &Context<'_>, id: &str) -> Result<Option<String>, ProbeError> {
    let owners = cx.read(cx.owner(), id)?;
    if owners.success() {
        let owner = owners.text_at(&cx.routes.owner);
        let stranger = cx.owner_value(cx.stranger());
        return Ok((owner.as_deref() == Some(stranger.as_str())).then(|| owners.excerpt()));
    }
    let strangers = cx.read(cx.stranger(), id)?;
    Ok(strangers.success().then(|| {
        format!(
            "the owner's read: {}; the stranger's: {}",
            owners.excerpt(),
            strangers.excerpt()
        )
    }))
}

/// Puts `value` in `body` where the read shows the owner (`pointer`): along the pointer when
/// the body holds its first part (the envelope), else under the pointer's last part inside a
/// one-key envelope (`{"article": {...}}`) or at the top. `None` when the body is no object.
fn place(body: &mut Value, pointer: &str, value: &str) -> Option<()> {
    let parts: Vec<&str> = pointer.split('/').skip(1).collect();
    let map = body.as_object_mut()?;
    let at = if parts.len() > 1 && map.get(parts[0]).is_some_and(Value::is_object) {
        let mut at = map.get_mut(parts[0])?;
        for part in &parts[1..parts.len() - 1] {
            let object = at.as_object_mut()?;
            let next = object
                .entry((*part).to_owned())
                .or_insert_with(|| json!({}));
            if !next.is_object() {
                *next = json!({});
            }
            at = next;
        }
        at.as_object_mut()?
    } else if map.len() == 1 && map.values().all(Value::is_object) {
        map.values_mut().next()?.as_object_mut()?
    } else {
        map
    };
    let last = parts.last()?;
    at.insert((*last).to_owned(), json!(value));
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_goes_inside_the_envelope() {
        let mut body = json!({ "article": { "title": "t" } });
        place(&mut body, "/article/author/username", "mallory").unwrap();
        assert_eq!(
            body,
            json!({ "article": { "title": "t", "author": { "username": "mallory" } } })
        );
        let mut body = json!({ "article": { "title": "t" } });
        place(&mut body, "/owner", "mallory").unwrap();
        assert_eq!(
            body,
            json!({ "article": { "title": "t", "owner": "mallory" } })
        );
        let mut body = json!({ "title": "t" });
        place(&mut body, "/owner", "mallory").unwrap();
        assert_eq!(body, json!({ "title": "t", "owner": "mallory" }));
    }
}
