CREATE TABLE items (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    title         VARCHAR(200) NOT NULL,
    owner_id      VARCHAR(200) NOT NULL,
    version       BIGINT       NOT NULL DEFAULT 1,
    written_under VARCHAR(200)
) ENGINE = InnoDB;
CREATE TABLE audit (
    id      BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    item_id BIGINT       NOT NULL,
    note    VARCHAR(200) NOT NULL
) ENGINE = InnoDB;
CREATE TABLE favorites (
    id      BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    item_id BIGINT       NOT NULL,
    user_id VARCHAR(200) NOT NULL
) ENGINE = InnoDB;
