-- Gives article :'slug' to user :'username' (the probe's [transfer] command for Conduit).
-- psql quotes both variables as literals.
UPDATE article
   SET user_id = (SELECT user_id FROM "user" WHERE username = :'username')
 WHERE slug = :'slug';
