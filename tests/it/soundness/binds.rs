//! Bind order: the subject's placeholder sits in the middle of the user's (`LIMIT ?`,
//! `ORDER BY`, `RETURNING` after the WHERE), numbered placeholders are reused or out of order,
//! and placeholder-looking text sits in strings and comments. A subject bound one slot off
//! compares the owner column with a user value, or a user value with the subject.

mod sqlite {
    reads! { Sqlite;
        limit_after_where(id) "SELECT id FROM items WHERE id = ? ORDER BY id LIMIT ?" [.bind(id).bind(10_i64)];
        limit_and_offset_after_where(id) "SELECT id FROM items WHERE id = ? ORDER BY id LIMIT ? OFFSET ?" [.bind(id).bind(10_i64).bind(0_i64)];
        placeholder_in_order_by(id) "SELECT id FROM items WHERE id >= ? ORDER BY CASE WHEN id = ? THEN 0 ELSE 1 END LIMIT ?" [.bind(id).bind(id).bind(1_i64)];
        placeholder_in_select_list(id) "SELECT id + ? FROM items WHERE id = ?" [.bind(0_i64).bind(id)];
        numbered_reused(id) "SELECT id FROM items WHERE id = ?1 OR id = ?1" [.bind(id)];
        numbered_out_of_order(id) "SELECT id FROM items WHERE title <> ?2 AND id = ?1" [.bind(id).bind("x")];
        numbered_then_limit(id) "SELECT id FROM items WHERE id = ?1 LIMIT ?2" [.bind(id).bind(5_i64)];
        question_mark_in_string(id) "SELECT id FROM items WHERE title <> '?' AND id = ?" [.bind(id)];
        question_mark_in_comment(id) "SELECT id FROM items WHERE /* ? */ id = ? -- ?" [.bind(id)];
        string_compared_before_id(id) "SELECT id FROM items WHERE title <> ? AND id = ?" [.bind("alice").bind(id)];
    }
    writes! { Sqlite;
        update_title_then_id(id) "UPDATE items SET title = ? WHERE id = ?" [.bind("new").bind(id)];
        update_numbered_reversed(id) "UPDATE items SET title = ?2 WHERE id = ?1" [.bind(id).bind("new")];
        update_numbered_reused(id) "UPDATE items SET title = 'new' || ?1 WHERE id = ?1 AND id >= ?1" [.bind(id)];
        delete_in_list(id) "DELETE FROM items WHERE id IN (?, ?)" [.bind(id).bind(id)];
        /// The subject as a user value: it must not stand in for the subject's own placeholder.
        update_title_to_a_subject_lookalike(id) "UPDATE items SET title = ? WHERE id = ?" [.bind("new alice").bind(id)];
    }
    returning! { Sqlite;
        update_returning(id) "UPDATE items SET title = ? WHERE id = ? RETURNING id" [.bind("new").bind(id)];
        update_returning_a_placeholder(id) "UPDATE items SET title = ? WHERE id = ? RETURNING id + ?" [.bind("new").bind(id).bind(0_i64)];
        delete_returning(id) "DELETE FROM items WHERE id = ? RETURNING id" [.bind(id)];
        insert_returning(_id) "INSERT INTO items (title) VALUES (?) RETURNING id" [.bind("new")];
    }
}

mod postgres {
    reads! { Postgres;
        limit_after_where(id) "SELECT id FROM items WHERE id = $1 ORDER BY id LIMIT $2" [.bind(id).bind(10_i64)];
        limit_before_id_number(id) "SELECT id FROM items WHERE id = $2 ORDER BY id LIMIT $1" [.bind(10_i64).bind(id)];
        reused_twice(id) "SELECT id FROM items WHERE id = $1 OR id = $1" [.bind(id)];
        placeholder_in_select_list(id) "SELECT id + $1 FROM items WHERE id = $2" [.bind(0_i64).bind(id)];
        placeholder_in_string(id) "SELECT id FROM items WHERE title <> '$2' AND id = $1" [.bind(id)];
        placeholder_in_comment(id) "SELECT id FROM items WHERE /* $2 */ id = $1 -- $3" [.bind(id)];
        placeholder_in_dollar_quote(id) "SELECT id FROM items WHERE title <> $$ $2 $$ AND id = $1" [.bind(id)];
    }
    writes! { Postgres;
        update_numbers_reversed(id) "UPDATE items SET title = $2 WHERE id = $1" [.bind(id).bind("new")];
        update_reused(id) "UPDATE items SET title = 'new' WHERE id = $1 AND id >= $1" [.bind(id)];
    }
    returning! { Postgres;
        update_returning(id) "UPDATE items SET title = $1 WHERE id = $2 RETURNING id" [.bind("new").bind(id)];
        update_returning_a_placeholder(id) "UPDATE items SET title = $1 WHERE id = $2 RETURNING id + $3" [.bind("new").bind(id).bind(0_i64)];
        delete_returning(id) "DELETE FROM items WHERE id = $1 RETURNING id" [.bind(id)];
    }
}

mod mariadb {
    reads! { MySql;
        limit_after_where(id) "SELECT id FROM items WHERE id = ? ORDER BY id LIMIT ?" [.bind(id).bind(10_i64)];
        limit_and_offset_after_where(id) "SELECT id FROM items WHERE id = ? ORDER BY id LIMIT ? OFFSET ?" [.bind(id).bind(10_i64).bind(0_i64)];
        placeholder_in_select_list(id) "SELECT id + ? FROM items WHERE id = ?" [.bind(0_i64).bind(id)];
        question_mark_in_string(id) "SELECT id FROM items WHERE title <> '?' AND id = ?" [.bind(id)];
        question_mark_in_hash_comment(id) "SELECT id FROM items WHERE id = ? # ?" [.bind(id)];
        string_compared_before_id(id) "SELECT id FROM items WHERE title <> ? AND id = ?" [.bind("alice").bind(id)];
    }
    writes! { MySql;
        update_title_then_id(id) "UPDATE items SET title = ? WHERE id = ?" [.bind("new").bind(id)];
        update_ordered_limit(id) "UPDATE items SET title = ? WHERE id = ? ORDER BY id LIMIT ?" [.bind("new").bind(id).bind(1_i64)];
        delete_limit(id) "DELETE FROM items WHERE id = ? LIMIT ?" [.bind(id).bind(1_i64)];
        delete_in_list(id) "DELETE FROM items WHERE id IN (?, ?)" [.bind(id).bind(id)];
    }
}
