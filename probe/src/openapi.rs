//! Routes from an OpenAPI 3 document, JSON or YAML, as published: a collection path with a
//! POST and an item path below it (`/articles` and `/articles/{slug}`) give the create, read,
//! update and delete; a POST below the item path naming a transfer (or an owner) gives the
//! transfer; a POST whose path names a logout gives the logout. `$ref`s are followed
//! (components, request bodies, nested schemas, `allOf`); bodies come from the operation's
//! example or are built from its schema, envelopes (`{"article": {...}}`) included; the
//! server URL's path (`/api`) goes before every path; an operation whose `security` (its own
//! or the document's) is absent or empty is public; `securitySchemes` say how tokens go.
//! Resources the probe cannot attack (nested under another's id, singletons, lists only) are
//! listed in the routes' `notes` with the reason.

use serde_json::{Map, Value, json};

use crate::routes::{Auth, Route, Routes};

/// Nesting followed in `$ref`s and schemas.
const DEPTH: usize = 16;

/// Reads a document, JSON or YAML.
pub fn parse(text: &str) -> Result<Value, String> {
    match serde_json::from_str(text) {
        Ok(doc) => Ok(doc),
        Err(json) => serde_norway::from_str(text)
            .map_err(|yaml| format!("neither JSON ({json}) nor YAML ({yaml})")),
    }
}

/// The routes of `resource` (`/items`), or of the first collection path with a POST and an
/// item path; `owner` is the JSON pointer to the owner in the read's object, `id` the one to
/// the new object's id in the create's answer (found from the item path's parameter when not
/// given).
pub fn routes(
    doc: &Value,
    resource: Option<&str>,
    owner: &str,
    id: Option<&str>,
) -> Result<Routes, String> {
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("the document has no `paths`")?;
    let (collection, notes) = resource_of(paths, resource)?;
    let item = item_of(paths, collection).expect("found with it");
    let param = &item[collection.len() + 2..item.len() - 1];
    let prefix = server_prefix(doc);
    let as_id = |path: &str| format!("{prefix}{}", path.replace(&format!("{{{param}}}"), "{id}"));
    let op = |path: &str, method: &str| paths.get(path)?.get(method).cloned();
    let route = |method: &str, path: &str, body: Option<Value>, field: Option<String>| Route {
        request: format!("{} {}", method.to_uppercase(), as_id(path)),
        body,
        field,
        ..Route::default()
    };
    let create = op(collection, "post").expect("filtered on it");
    let read = op(item, "get").ok_or_else(|| format!("no GET {item}"))?;
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
    let id = id.map_or_else(|| id_pointer(doc, &create, param), str::to_owned);
    let mut read_route = route("get", item, None, None);
    read_route.public = public(doc, &read);
    let routes = Routes {
        id,
        owner: owner.to_owned(),
        create: route("post", collection, body(doc, &create, Fill::Plain).0, None),
        read: read_route,
        update,
        delete: op(item, "delete").map(|_| route("delete", item, None, None)),
        transfer,
        logout,
        auth: auth(doc),
        login: None,
        register: None,
        notes,
    };
    routes.check()?;
    Ok(routes)
}

/// The item path of `collection` (`/items/{id}` of `/items`).
fn item_of<'p>(paths: &'p Map<String, Value>, collection: &str) -> Option<&'p String> {
    paths.keys().find(|p| {
        p.strip_prefix(collection)
            .and_then(|rest| rest.strip_prefix("/{"))
            .is_some_and(|rest| rest.ends_with('}') && !rest.contains('/'))
    })
}

/// The collection to probe (`resource`, or the first with a POST and an item path), and
/// the paths left out with the reason.
fn resource_of<'p>(
    paths: &'p Map<String, Value>,
    resource: Option<&str>,
) -> Result<(&'p str, Vec<String>), String> {
    let mut notes = Vec::new();
    let mut candidates = Vec::new();
    for (path, ops) in paths {
        if path.ends_with('}') {
            continue;
        }
        let has = |m: &str| ops.get(m).is_some();
        match (path.contains('{'), item_of(paths, path), has("post")) {
            (true, Some(_), _) => notes.push(format!(
                "{path}: nested under another object's id (write a route file for it)"
            )),
            (false, Some(_), true) => candidates.push(path.as_str()),
            (false, Some(_), false) => notes.push(format!("{path}: no POST creates one")),
            (_, None, _) if has("get") && !has("put") && !has("patch") && !has("post") => {
                notes.push(format!("{path}: a list only, with no item path"));
            }
            (false, None, _) if has("put") || has("patch") => {
                notes.push(format!("{path}: a singleton, with no id to attack"));
            }
            _ => {}
        }
    }
    let collection = candidates
        .iter()
        .copied()
        .find(|path| resource.is_none_or(|r| r == *path))
        .ok_or_else(|| match resource {
            Some(r) => format!("no POST {r} with a GET {r}/{{id}} in the document"),
            None => format!(
                "no collection path with a POST and an item path below it (give --resource){}",
                if notes.is_empty() {
                    String::new()
                } else {
                    format!("; {}", notes.join("; "))
                }
            ),
        })?;
    notes.extend(
        candidates
            .iter()
            .filter(|c| **c != collection)
            .map(|c| format!("{c}: another resource (--resource {c})")),
    );
    Ok((collection, notes))
}

/// The path of the first server URL (`/api` of `https://host/api` or of `/api`).
fn server_prefix(doc: &Value) -> String {
    let url = doc
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |at| &rest[at..]),
        None => url,
    };
    path.trim_end_matches('/').to_owned()
}

/// `value`, its `$ref`s followed.
fn resolve<'d>(doc: &'d Value, mut value: &'d Value) -> &'d Value {
    for _ in 0..DEPTH {
        let Some(target) = value.get("$ref").and_then(Value::as_str) else {
            break;
        };
        match target
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
        {
            Some(next) => value = next,
            None => break,
        }
    }
    value
}

/// Whether anyone may call `op`: its `security` (else the document's) absent, empty, or
/// holding an empty requirement.
fn public(doc: &Value, op: &Value) -> bool {
    let security = op.get("security").or_else(|| doc.get("security"));
    security.and_then(Value::as_array).is_none_or(|reqs| {
        reqs.is_empty()
            || reqs
                .iter()
                .any(|r| r.as_object().is_some_and(Map::is_empty))
    })
}

/// How tokens go, from the first security scheme: an HTTP scheme names the `Authorization`
/// scheme; an API key in another header or a cookie names where. An API key in
/// `Authorization` says nothing of its prefix: the API's 401 is asked then.
fn auth(doc: &Value) -> Auth {
    let mut auth = Auth::default();
    let Some(schemes) = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
    else {
        return auth;
    };
    let Some(scheme) = schemes.values().map(|s| resolve(doc, s)).next() else {
        return auth;
    };
    let text = |key: &str| scheme.get(key).and_then(Value::as_str).unwrap_or_default();
    match (text("type"), text("in")) {
        ("http", _) => {
            let name = text("scheme");
            let mut chars = name.chars();
            auth.scheme = chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect());
        }
        ("apiKey", "header") if !text("name").eq_ignore_ascii_case("authorization") => {
            auth.header = Some(format!("{}: {{token}}", text("name")));
        }
        ("apiKey", "cookie") => auth.cookie = Some(format!("{}={{token}}", text("name"))),
        _ => {}
    }
    auth
}

/// The JSON schema of an operation's request body, or of its first 2xx answer.
fn schema_of<'d>(doc: &'d Value, op: &'d Value, answer: bool) -> Option<&'d Value> {
    let holder = if answer {
        let responses = op.get("responses")?.as_object()?;
        let (_, response) = responses.iter().find(|(code, _)| code.starts_with('2'))?;
        resolve(doc, response)
    } else {
        resolve(doc, op.get("requestBody")?)
    };
    let content = holder.get("content")?.as_object()?;
    let (_, media) = content.iter().find(|(kind, _)| kind.contains("json"))?;
    Some(media)
}

/// The pointer to the new object's id in the create's answer: the property named as the item
/// path's parameter (`slug`), else `id`, wherever the answer's schema has it; `/id` when the
/// schema does not say.
fn id_pointer(doc: &Value, create: &Value, param: &str) -> String {
    let schema = schema_of(doc, create, true).and_then(|m| m.get("schema"));
    let find = |name: &str| schema.and_then(|s| find_property(doc, s, name, 0));
    find(param)
        .or_else(|| find("id"))
        .unwrap_or_else(|| "/id".to_owned())
}

fn properties(doc: &Value, schema: &Value) -> Map<String, Value> {
    let schema = resolve(doc, schema);
    let mut all = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        all.extend(properties(doc, part));
    }
    all
}

/// The pointer to property `name`, breadth first through nested objects.
fn find_property(doc: &Value, schema: &Value, name: &str, depth: usize) -> Option<String> {
    if depth > DEPTH {
        return None;
    }
    let props = properties(doc, schema);
    if props.contains_key(name) {
        return Some(format!("/{name}"));
    }
    props.iter().find_map(|(key, sub)| {
        find_property(doc, sub, name, depth + 1).map(|rest| format!("/{key}{rest}"))
    })
}

/// What the marked string field of a body gets.
#[derive(Clone, Copy)]
enum Fill {
    Plain,
    Marker,
    Other,
}

/// Fields a marker may go in without changing what names the object (a title may make the
/// slug).
const PREFERRED: &[&str] = &["body", "description", "content", "text", "note", "notes"];

/// An operation's JSON body, and the pointer of its marked string field (inside any
/// envelope).
fn body(doc: &Value, op: &Value, fill: Fill) -> (Option<Value>, Option<String>) {
    let Some(media) = schema_of(doc, op, false) else {
        return (None, None);
    };
    let mut value = media
        .get("example")
        .cloned()
        .or_else(|| media.get("schema").map(|s| example(doc, s, 0)))
        .unwrap_or_else(|| json!({}));
    let hole = match fill {
        Fill::Plain => "probe",
        Fill::Marker => "{marker}",
        Fill::Other => "{other}",
    };
    let field = string_field(&value).inspect(|pointer| {
        if let Some(slot) = value.pointer_mut(pointer) {
            *slot = json!(hole);
        }
    });
    (Some(value), field)
}

/// The pointer to the string field to mark: a preferred name, else the first string,
/// descending into a one-object envelope.
fn string_field(value: &Value) -> Option<String> {
    let map = value.as_object()?;
    if let Some(key) = PREFERRED
        .iter()
        .find(|k| map.get(**k).is_some_and(Value::is_string))
    {
        return Some(format!("/{key}"));
    }
    if let Some((key, _)) = map.iter().find(|(_, v)| v.is_string()) {
        return Some(format!("/{key}"));
    }
    map.iter()
        .filter(|(_, v)| v.is_object())
        .find_map(|(key, v)| string_field(v).map(|rest| format!("/{key}{rest}")))
}

/// A value of `schema`: its example or default, else one built from its type.
fn example(doc: &Value, schema: &Value, depth: usize) -> Value {
    if depth > DEPTH {
        return Value::Null;
    }
    let schema = resolve(doc, schema);
    if let Some(v) = schema.get("example").or_else(|| schema.get("default")) {
        return v.clone();
    }
    let props = properties(doc, schema);
    if !props.is_empty() {
        let read_only =
            |s: &Value| resolve(doc, s).get("readOnly").and_then(Value::as_bool) == Some(true);
        return Value::Object(
            props
                .iter()
                .filter(|(_, s)| !read_only(s))
                .map(|(k, s)| (k.clone(), example(doc, s, depth + 1)))
                .collect(),
        );
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => json!("probe"),
        Some("integer" | "number") => json!(1),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        Some("object") => json!({}),
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
            "security": [{ "bearer": [] }],
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
            "components": {
                "schemas": { "New": { "type": "object", "properties": {
                    "id": { "type": "integer", "readOnly": true },
                    "title": { "type": "string" } } } },
                "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } }
            }
        });
        let routes = routes(&doc, None, "/owner", None).unwrap();
        assert_eq!(routes.create.request, "POST /items");
        assert_eq!(routes.create.body, Some(json!({ "title": "probe" })));
        assert_eq!(routes.read.request, "GET /items/{id}");
        assert!(!routes.read.public, "the document's security covers it");
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
        assert_eq!(routes.auth.scheme.as_deref(), Some("Bearer"));
        let mut keyed = doc.clone();
        keyed["components"]["securitySchemes"] =
            json!({ "key": { "type": "apiKey", "in": "cookie", "name": "jwt" } });
        let keyed = super::routes(&keyed, None, "/owner", None).unwrap();
        assert_eq!(keyed.auth.cookie.as_deref(), Some("jwt={token}"));
        assert_eq!(routes.id, "/id");
        assert!(super::routes(&doc, Some("/users"), "/owner", None).is_err());
    }

    #[test]
    fn a_yaml_document_with_envelopes_refs_and_a_prefix_gives_the_routes() {
        let doc = parse(include_str!("../tests/it/conduit/openapi.yaml")).unwrap();
        let routes = routes(&doc, None, "/article/author/username", None).unwrap();
        assert_eq!(routes.create.request, "POST /api/articles");
        assert_eq!(routes.read.request, "GET /api/articles/{id}");
        assert!(routes.read.public, "the read has no security");
        assert_eq!(routes.id, "/article/slug");
        let update = routes.update.unwrap();
        assert_eq!(update.field.as_deref(), Some("/article/body"));
        assert_eq!(
            update.body.unwrap().pointer("/article/body"),
            Some(&json!("{marker}"))
        );
        assert!(
            routes
                .notes
                .iter()
                .any(|n| n.starts_with("/api/user") || n.starts_with("/user:")),
            "{:?}",
            routes.notes
        );
        assert!(
            routes.notes.iter().any(|n| n.contains("nested")),
            "{:?}",
            routes.notes
        );
        assert!(
            routes.notes.iter().any(|n| n.contains("list only")),
            "{:?}",
            routes.notes
        );
    }
}
