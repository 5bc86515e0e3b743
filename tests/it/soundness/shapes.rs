//! Statement shapes that put the guarded table somewhere other than a plain FROM: joins of
//! every kind, subqueries in WHERE, the SELECT list and FROM, CTEs (data-modifying ones on
//! PostgreSQL), set operations, INSERT ... SELECT, upserts, multi-row VALUES, conditions whose
//! precedence a careless `AND` would change, and statements with no WHERE at all.

mod sqlite {
    reads! { Sqlite;
        inner_join(id) "SELECT i.id FROM audit a JOIN items i ON i.id = a.item_id WHERE a.item_id = ?" [.bind(id)];
        left_join_from_audit(id) "SELECT i.id FROM audit a LEFT JOIN items i ON i.id = a.item_id WHERE a.item_id = ?" [.bind(id)];
        right_join_to_audit(id) "SELECT i.id FROM items i RIGHT JOIN audit a ON i.id = a.item_id WHERE a.item_id = ?" [.bind(id)];
        /// The guarded table only decides which notes show: their item ids leak alice's rows.
        exists_subquery(id) "SELECT a.item_id FROM audit a WHERE EXISTS (SELECT 1 FROM items i WHERE i.id = a.item_id) AND a.item_id = ?" [.bind(id)];
        in_subquery(id) "SELECT a.item_id FROM audit a WHERE a.item_id IN (SELECT id FROM items WHERE id = ?)" [.bind(id)];
        scalar_subquery_in_select(id) "SELECT (SELECT i.id FROM items i WHERE i.id = ?)" [.bind(id)];
        subquery_in_from(id) "SELECT t.id FROM (SELECT id FROM items) AS t WHERE t.id = ?" [.bind(id)];
        cte(id) "WITH t AS (SELECT id FROM items) SELECT id FROM t WHERE id = ?" [.bind(id)];
        derived_table_with_a_forged_owner(id) "SELECT t.id FROM (SELECT id, 'mallory' AS owner_id FROM items) AS t WHERE t.id = ?" [.bind(id)];
        union_with_items(id) "SELECT id FROM items WHERE id = ? UNION SELECT id FROM items WHERE title = 'alice-other'" [.bind(id)];
        union_with_audit(id) "SELECT item_id FROM audit WHERE 1 = 0 UNION ALL SELECT id FROM items WHERE id = ?" [.bind(id)];
        or_without_parentheses(id) "SELECT id FROM items WHERE id = ? OR title = 'alice-secret'" [.bind(id)];
        not_condition(id) "SELECT id FROM items WHERE NOT id <> ?" [.bind(id)];
        in_list(id) "SELECT id FROM items WHERE id IN (?, ?)" [.bind(id).bind(id)];
        between(id) "SELECT id FROM items WHERE id BETWEEN ? AND ?" [.bind(id).bind(id)];
        case_in_where(id) "SELECT id FROM items WHERE CASE WHEN id = ? THEN 1 ELSE 0 END = 1" [.bind(id)];
        limit_without_where(_id) "SELECT id FROM items ORDER BY id LIMIT 100" [];
        no_where(_id) "SELECT id FROM items" [];
        trailing_semicolon_and_comment(id) "SELECT id FROM items WHERE id = ?; -- done" [.bind(id)];
        union_second_branch_without_where(id) "SELECT id FROM items WHERE id = ? UNION SELECT id FROM items" [.bind(id)];
        recursive_cte(id) "WITH RECURSIVE t(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM t WHERE n < 0) SELECT id FROM items, t WHERE id = t.n" [.bind(id)];
        group_by_having(id) "SELECT id FROM items WHERE id = ? GROUP BY id HAVING count(*) > ?" [.bind(id).bind(0_i64)];
        window_function(id) "SELECT min(id) OVER () FROM items WHERE id >= ?" [.bind(id)];
    }
    writes! { Sqlite;
        update_or_without_parentheses(id) "UPDATE items SET title = 'new' WHERE id = ? OR title = 'alice-secret'" [.bind(id)];
        delete_not(id) "DELETE FROM items WHERE NOT id <> ?" [.bind(id)];
        delete_between(id) "DELETE FROM items WHERE id BETWEEN ? AND ?" [.bind(id).bind(id)];
        update_case(id) "UPDATE items SET title = 'new' WHERE CASE WHEN id = ? THEN 1 ELSE 0 END = 1" [.bind(id)];
        delete_in_subquery_of_audit(id) "DELETE FROM items WHERE id IN (SELECT item_id FROM audit WHERE item_id = ?)" [.bind(id)];
        update_from_audit(id) "UPDATE items SET title = 'new' FROM audit WHERE audit.item_id = items.id AND items.id = ?" [.bind(id)];
        /// A declared table written through a condition on the guarded one.
        update_audit_through_items(id) "UPDATE audit SET note = 'changed' WHERE item_id IN (SELECT id FROM items WHERE id = ?)" [.bind(id)];
        insert_select(id) "INSERT INTO items (title) SELECT 'new' || title FROM items WHERE id = ?" [.bind(id)];
        insert_multi_row(_id) "INSERT INTO items (title) VALUES ('new1'), ('new2')" [];
        upsert(id) "INSERT INTO items (id, title) VALUES (?, 'new') ON CONFLICT (id) DO UPDATE SET title = excluded.title" [.bind(id)];
        upsert_with_where(id) "INSERT INTO items (id, title) VALUES (?, 'new') ON CONFLICT (id) DO UPDATE SET title = excluded.title WHERE items.title <> ''" [.bind(id)];
        update_without_where(_id) "UPDATE items SET title = 'new'" [];
        delete_without_where(_id) "DELETE FROM items" [];
        /// A read inside SET: the stranger's own row must not receive alice's title.
        update_set_from_subquery(id) "UPDATE items SET title = (SELECT 'new' || coalesce(max(title), '') FROM items WHERE id = ?)" [.bind(id)];
    }
    returning! { Sqlite;
        /// RETURNING can hold a subquery that reads the guarded table.
        insert_returning_a_subquery(id) "INSERT INTO items (title) VALUES ('new') RETURNING (SELECT max(id) FROM items WHERE id = ?)" [.bind(id)];
    }
}

mod postgres {
    reads! { Postgres;
        inner_join(id) "SELECT i.id FROM audit a JOIN items i ON i.id = a.item_id WHERE a.item_id = $1" [.bind(id)];
        left_join_from_audit(id) "SELECT i.id FROM audit a LEFT JOIN items i ON i.id = a.item_id WHERE a.item_id = $1" [.bind(id)];
        right_join_to_audit(id) "SELECT i.id FROM items i RIGHT JOIN audit a ON i.id = a.item_id WHERE a.item_id = $1" [.bind(id)];
        full_join(id) "SELECT i.id FROM items i FULL JOIN audit a ON i.id = a.item_id WHERE a.item_id = $1" [.bind(id)];
        exists_subquery(id) "SELECT a.item_id FROM audit a WHERE EXISTS (SELECT 1 FROM items i WHERE i.id = a.item_id) AND a.item_id = $1" [.bind(id)];
        scalar_subquery_in_select(id) "SELECT (SELECT i.id FROM items i WHERE i.id = $1)" [.bind(id)];
        lateral_subquery(id) "SELECT t.id FROM audit a, LATERAL (SELECT id FROM items WHERE id = a.item_id) t WHERE a.item_id = $1" [.bind(id)];
        subquery_in_from(id) "SELECT t.id FROM (SELECT id FROM items) AS t WHERE t.id = $1" [.bind(id)];
        cte(id) "WITH t AS (SELECT id FROM items) SELECT id FROM t WHERE id = $1" [.bind(id)];
        derived_table_with_a_forged_owner(id) "SELECT t.id FROM (SELECT id, 'mallory' AS owner_id FROM items) AS t WHERE t.id = $1" [.bind(id)];
        union_with_items(id) "SELECT id FROM items WHERE id = $1 UNION SELECT id FROM items WHERE title = 'alice-other'" [.bind(id)];
        union_with_audit(id) "SELECT item_id FROM audit WHERE false UNION ALL SELECT id FROM items WHERE id = $1" [.bind(id)];
        or_without_parentheses(id) "SELECT id FROM items WHERE id = $1 OR title = 'alice-secret'" [.bind(id)];
        not_condition(id) "SELECT id FROM items WHERE NOT id <> $1" [.bind(id)];
        is_not_distinct_from(id) "SELECT id FROM items WHERE id IS NOT DISTINCT FROM $1" [.bind(id)];
        in_list(id) "SELECT id FROM items WHERE id IN ($1, $1)" [.bind(id)];
        between(id) "SELECT id FROM items WHERE id BETWEEN $1 AND $1" [.bind(id)];
        case_in_where(id) "SELECT id FROM items WHERE CASE WHEN id = $1 THEN true ELSE false END" [.bind(id)];
        limit_without_where(_id) "SELECT id FROM items ORDER BY id LIMIT 100" [];
        values_with_subquery(id) "VALUES ((SELECT id FROM items WHERE id = $1))" [.bind(id)];
        for_update(id) "SELECT id FROM items WHERE id = $1 FOR UPDATE" [.bind(id)];
        recursive_cte(id) "WITH RECURSIVE t(n) AS (SELECT $1::bigint UNION ALL SELECT n + 1 FROM t WHERE n < 0) SELECT id FROM items, t WHERE id = t.n" [.bind(id)];
        group_by_having(id) "SELECT id FROM items WHERE id = $1 GROUP BY id HAVING count(*) > $2" [.bind(id).bind(0_i64)];
        union_second_branch_without_where(id) "SELECT id FROM items WHERE id = $1 UNION SELECT id FROM items" [.bind(id)];
    }
    writes! { Postgres;
        update_or_without_parentheses(id) "UPDATE items SET title = 'new' WHERE id = $1 OR title = 'alice-secret'" [.bind(id)];
        delete_not(id) "DELETE FROM items WHERE NOT id <> $1" [.bind(id)];
        update_case(id) "UPDATE items SET title = 'new' WHERE CASE WHEN id = $1 THEN true ELSE false END" [.bind(id)];
        update_from_audit(id) "UPDATE items SET title = 'new' FROM audit WHERE audit.item_id = items.id AND items.id = $1" [.bind(id)];
        delete_using_audit(id) "DELETE FROM items USING audit WHERE audit.item_id = items.id AND audit.item_id = $1" [.bind(id)];
        update_audit_through_items(id) "UPDATE audit SET note = 'changed' WHERE item_id IN (SELECT id FROM items WHERE id = $1)" [.bind(id)];
        insert_select(id) "INSERT INTO items (title) SELECT 'new' || title FROM items WHERE id = $1" [.bind(id)];
        insert_multi_row(_id) "INSERT INTO items (title) VALUES ('new1'), ('new2')" [];
        upsert(id) "INSERT INTO items (id, title) VALUES ($1, 'new') ON CONFLICT (id) DO UPDATE SET title = excluded.title" [.bind(id)];
        cte_select_then_update(id) "WITH x AS (SELECT id FROM items WHERE id = $1) UPDATE items SET title = 'new' WHERE id IN (SELECT id FROM x)" [.bind(id)];
        update_without_where(_id) "UPDATE items SET title = 'new'" [];
        delete_without_where(_id) "DELETE FROM items" [];
        update_set_from_subquery(id) "UPDATE items SET title = (SELECT 'new' || coalesce(max(title), '') FROM items WHERE id = $1)" [.bind(id)];
        upsert_do_nothing(_id) "INSERT INTO items (title) VALUES ('new') ON CONFLICT DO NOTHING" [];
    }
    returning! { Postgres;
        insert_returning_a_subquery(id) "INSERT INTO items (title) VALUES ('new') RETURNING (SELECT max(id) FROM items WHERE id = $1)" [.bind(id)];
        cte_delete(id) "WITH d AS (DELETE FROM items WHERE id = $1 RETURNING id) SELECT id FROM d" [.bind(id).idempotent()];
        cte_update(id) "WITH u AS (UPDATE items SET title = 'new' WHERE id = $1 RETURNING id) SELECT id FROM u" [.bind(id).idempotent()];
        cte_insert_select(id) "WITH n AS (INSERT INTO items (title) SELECT 'new' || title FROM items WHERE id = $1 RETURNING id) SELECT id FROM n" [.bind(id)];
    }
}

mod mariadb {
    reads! { MySql;
        inner_join(id) "SELECT i.id FROM audit a JOIN items i ON i.id = a.item_id WHERE a.item_id = ?" [.bind(id)];
        left_join_from_audit(id) "SELECT i.id FROM audit a LEFT JOIN items i ON i.id = a.item_id WHERE a.item_id = ?" [.bind(id)];
        right_join_to_audit(id) "SELECT i.id FROM items i RIGHT JOIN audit a ON i.id = a.item_id WHERE a.item_id = ?" [.bind(id)];
        exists_subquery(id) "SELECT a.item_id FROM audit a WHERE EXISTS (SELECT 1 FROM items i WHERE i.id = a.item_id) AND a.item_id = ?" [.bind(id)];
        scalar_subquery_in_select(id) "SELECT (SELECT i.id FROM items i WHERE i.id = ?)" [.bind(id)];
        subquery_in_from(id) "SELECT t.id FROM (SELECT id FROM items) AS t WHERE t.id = ?" [.bind(id)];
        cte(id) "WITH t AS (SELECT id FROM items) SELECT id FROM t WHERE id = ?" [.bind(id)];
        derived_table_with_a_forged_owner(id) "SELECT t.id FROM (SELECT id, 'mallory' AS owner_id FROM items) AS t WHERE t.id = ?" [.bind(id)];
        union_with_items(id) "SELECT id FROM items WHERE id = ? UNION SELECT id FROM items WHERE title = 'alice-other'" [.bind(id)];
        union_with_audit(id) "SELECT item_id FROM audit WHERE 1 = 0 UNION ALL SELECT id FROM items WHERE id = ?" [.bind(id)];
        or_without_parentheses(id) "SELECT id FROM items WHERE id = ? OR title = 'alice-secret'" [.bind(id)];
        not_condition(id) "SELECT id FROM items WHERE NOT id <> ?" [.bind(id)];
        null_safe_equal(id) "SELECT id FROM items WHERE id <=> ?" [.bind(id)];
        in_list(id) "SELECT id FROM items WHERE id IN (?, ?)" [.bind(id).bind(id)];
        between(id) "SELECT id FROM items WHERE id BETWEEN ? AND ?" [.bind(id).bind(id)];
        case_in_where(id) "SELECT id FROM items WHERE CASE WHEN id = ? THEN 1 ELSE 0 END = 1" [.bind(id)];
        limit_without_where(_id) "SELECT id FROM items ORDER BY id LIMIT 100" [];
        for_update(id) "SELECT id FROM items WHERE id = ? FOR UPDATE" [.bind(id)];
        group_by_having(id) "SELECT id FROM items WHERE id = ? GROUP BY id HAVING count(*) > ?" [.bind(id).bind(0_i64)];
        union_second_branch_without_where(id) "SELECT id FROM items WHERE id = ? UNION SELECT id FROM items" [.bind(id)];
    }
    writes! { MySql;
        update_or_without_parentheses(id) "UPDATE items SET title = 'new' WHERE id = ? OR title = 'alice-secret'" [.bind(id)];
        delete_not(id) "DELETE FROM items WHERE NOT id <> ?" [.bind(id)];
        update_case(id) "UPDATE items SET title = 'new' WHERE CASE WHEN id = ? THEN 1 ELSE 0 END = 1" [.bind(id)];
        update_join(id) "UPDATE items i JOIN audit a ON a.item_id = i.id SET i.title = 'new' WHERE a.item_id = ?" [.bind(id)];
        delete_join(id) "DELETE i FROM items i JOIN audit a ON a.item_id = i.id WHERE a.item_id = ?" [.bind(id)];
        update_audit_through_join(id) "UPDATE audit a JOIN items i ON a.item_id = i.id SET a.note = 'changed' WHERE i.id = ?" [.bind(id)];
        insert_select(id) "INSERT INTO items (title) SELECT CONCAT('new', title) FROM items WHERE id = ?" [.bind(id)];
        insert_multi_row(_id) "INSERT INTO items (title) VALUES ('new1'), ('new2')" [];
        update_without_where(_id) "UPDATE items SET title = 'new'" [];
        delete_without_where(_id) "DELETE FROM items" [];
        delete_ordered_limit_without_where(_id) "DELETE FROM items ORDER BY id LIMIT 1" [];
    }
}
