CREATE TABLE IF NOT EXISTS items (
    id            INTEGER PRIMARY KEY,
    title         TEXT    NOT NULL,
    owner_id      TEXT    NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    -- The owner the database saw when it last changed the title: the race suite's ground truth.
    written_under TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    id      INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL,
    note    TEXT    NOT NULL
);
-- A second owned table, for fns that guard two: each row is one user's favorite.
CREATE TABLE IF NOT EXISTS favorites (
    id      INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL,
    user_id TEXT    NOT NULL
);
