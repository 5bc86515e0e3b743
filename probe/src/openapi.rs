//! Routes from an OpenAPI 3 document (JSON): a collection path with a POST and an item path
//! below it, `/items` and `/items/{itemId}`, give the create, read, update and delete; a POST
//! below the item path naming a transfer (or an owner) gives the transfer; a POST whose path
//! names a logout gives the logout. Bodies come from the operation's example, or are built
//! from its schema.

use serde_json::{Map, Value, json};

use crate::routes::{Route, Routes};

/// The routes of `resource` (`/items`), or of the first collection path with a POST and an
/// item path; `owner` is the JSON pointer to the owner in the read's object.
pub fn routes(doc: &Value, resource: Option<&str>, owner: &str) -> Result<Routes, String> {
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("the document has no `paths`")?;
    let item_of = |collection: &str| {
        paths.keys().find(|p| {
            p.strip_prefix(collection)
                .and_then(|rest| rest.strip_prefix("/{"))
                .is_some_and(|rest| rest.ends_with('}') && !rest.contains('/'))
        })
    };
    let collection = paths
        .iter()
        .filter(|(path, ops)| !path.contains('{') && ops.get("post").is_some())
        .map(|(path, _)| path.as_str())
        .find(|path| resource.is_none_or(|r| r == *path) && item_of(path).is_some())
        .ok_or_else(|| match resource {
            Some(r) => format!("no POST {r} with a GET {r}/{{id}} in the document"),
            None => "no collection path with a POST and an item path below it (give --resource)"
                .to_owned(),
        })?;
    let item = item_of(collection).expect("found with it");
    let param = &item[collection.len() + 1..];
    let as_id = |path: &str| path.replace(param, "{id}");
    let op = |path: &str, method: &str| paths.get(path)?.get(method).cloned();
    let route = |method: &str, path: &str, body: Option<Value>, field: Option<String>| Route {
        request: format!("{} {}", method.to_uppercase(), as_id(path)),
        body,
        field,
    };
    let create = op(collection, "post").expect("filtered on it");
    op(item, "get").ok_or_else(|| format!("no GET {item}"))?;
    let update = ["put", "patch"]
        .into_iter()
        .find_map(|m| op(item, m).map(|o| (m, o)))
        .map(|(method, o)| {
            let (body, field) = body(doc, &o, Fill::Marker);
            route(method, item, body, field)
        });
    let transfer = paths
        .iter()
        .filter(|(p, ops)| {
            p.starts_with(&format!("{item}/"))
                && ops.get("post").is_some()
                && (p.contains("transfer") || p.contains("owner"))
        })
        .map(|(p, ops)| {
            let (body, _) = body(doc, &ops["post"], Fill::Other);
            route("post", p, body, None)
        })
        .next();
    let logout = paths
        .iter()
        .find(|(p, ops)| p.contains("logout") && !p.contains('{') && ops.get("post").is_some())
        .map(|(p, _)| route("post", p, None, None));
    let routes = Routes {
        id: "/id".to_owned(),
        owner: owner.to_owned(),
        create: route("post", collection, body(doc, &create, Fill::Plain).0, None),
        read: route("get", item, None, None),
        update,
        delete: op(item, "delete").map(|_| route("delete", item, None, None)),
        transfer,
        logout,
    };
    routes.check()?;
    Ok(routes)
}

/// What the first string field of a body gets.
#[derive(Clone, Copy)]
enum Fill {
    Plain,
    Marker,
    Other,
}

/// An operation's JSON body, and the pointer of its first string field.
fn body(doc: &Value, op: &Value, fill: Fill) -> (Option<Value>, Option<String>) {
    let Some(content) = op.pointer("/requestBody/content/application~1json") else {
        return (None, None);
    };
    let mut value = content
        .get("example")
        .cloned()
        .or_else(|| content.get("schema").map(|s| example(doc, s, 0)))
        .unwrap_or_else(|| json!({}));
    let mut field = None;
    if let Some(map) = value.as_object_mut() {
        field = first_string(map).map(|key| {
            let hole = match fill {
                Fill::Plain => "probe",
                Fill::Marker => "{marker}",
                Fill::Other => "{other}",
            };
            map.insert(key.clone(), json!(hole));
            format!("/{key}")
        });
    }
    (Some(value), field)
}

fn first_string(map: &Map<String, Value>) -> Option<String> {
    map.iter()
        .find(|(_, v)| v.is_string())
        .map(|(k, _)| k.clone())
}

/// A value of `schema`: its example or default, else one built from its type.
fn example(doc: &Value, schema: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        let pointer = target.trim_start_matches('#');
        return doc
            .pointer(pointer)
            .map_or(Value::Null, |s| example(doc, s, depth + 1));
    }
    if let Some(v) = schema.get("example").or_else(|| schema.get("default")) {
        return v.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") | None if schema.get("properties").is_some() => {
            let properties = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let read_only = |s: &Value| s.get("readOnly").and_then(Value::as_bool) == Some(true);
            Value::Object(
                properties
                    .iter()
                    .filter(|(_, s)| !read_only(s))
                    .map(|(k, s)| (k.clone(), example(doc, s, depth + 1)))
                    .collect(),
            )
        }
        Some("string") => json!("probe"),
        Some("integer" | "number") => json!(1),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_openapi_document_gives_the_routes_and_bodies() {
        let doc = json!({
            "openapi": "3.0.3",
            "paths": {
                "/auth/logout": { "post": {} },
                "/items": { "post": { "requestBody": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/New" } } } } } },
                "/items/{itemId}": {
                    "get": {}, "delete": {},
                    "put": { "requestBody": { "content": { "application/json": {
                        "example": { "title": "x", "done": false } } } } }
                },
                "/items/{itemId}/transfer": { "post": { "requestBody": { "content": {
                    "application/json": { "schema": { "type": "object",
                        "properties": { "to": { "type": "string" } } } } } } } }
            },
            "components": { "schemas": { "New": { "type": "object", "properties": {
                "id": { "type": "integer", "readOnly": true },
                "title": { "type": "string" } } } } }
        });
        let routes = routes(&doc, None, "/owner").unwrap();
        assert_eq!(routes.create.request, "POST /items");
        assert_eq!(routes.create.body, Some(json!({ "title": "probe" })));
        assert_eq!(routes.read.request, "GET /items/{id}");
        let update = routes.update.unwrap();
        assert_eq!(update.request, "PUT /items/{id}");
        assert_eq!(
            update.body,
            Some(json!({ "title": "{marker}", "done": false }))
        );
        assert_eq!(update.field.as_deref(), Some("/title"));
        let transfer = routes.transfer.unwrap();
        assert_eq!(transfer.request, "POST /items/{id}/transfer");
        assert_eq!(transfer.body, Some(json!({ "to": "{other}" })));
        assert_eq!(routes.delete.unwrap().request, "DELETE /items/{id}");
        assert_eq!(routes.logout.unwrap().request, "POST /auth/logout");
        assert!(super::routes(&doc, Some("/users"), "/owner").is_err());
    }
}
