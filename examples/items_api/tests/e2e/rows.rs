//! The rows of the demo's tables the tests check, read past the server.

use crate::database::read;

/// The item's row as stored, read by the test (no guard): `(title, owner, version,
/// archived)`, or `None` when it is gone.
pub fn item(url: &str, id: i64) -> Option<(String, String, i64, bool)> {
    let sql = format!(
        "SELECT title, owner_id, version, CASE WHEN archived THEN 1 ELSE 0 END FROM items \
         WHERE id = {id}"
    );
    let rows: Vec<(String, String, i64, i64)> = read(url, &sql);
    rows.into_iter()
        .next()
        .map(|(title, owner, version, archived)| (title, owner, version, archived == 1))
}

/// The item's shares as stored: `(user, can_write)`, by user.
pub fn shares(url: &str, id: i64) -> Vec<(String, bool)> {
    let sql = format!(
        "SELECT user_id, CASE WHEN can_write THEN 1 ELSE 0 END FROM shares WHERE item_id = {id} \
         ORDER BY user_id"
    );
    let rows: Vec<(String, i64)> = read(url, &sql);
    rows.into_iter().map(|(user, w)| (user, w == 1)).collect()
}
