CREATE TABLE items (
    id            BIGSERIAL PRIMARY KEY,
    title         TEXT   NOT NULL,
    owner_id      TEXT   NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    written_under TEXT
);
CREATE TABLE audit (
    id      BIGSERIAL PRIMARY KEY,
    item_id BIGINT NOT NULL,
    note    TEXT   NOT NULL
);
CREATE TABLE favorites (
    id      BIGSERIAL PRIMARY KEY,
    item_id BIGINT NOT NULL,
    user_id TEXT   NOT NULL
);
