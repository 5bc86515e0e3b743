//! Class 1: strings, comments and quoted names right next to the WHERE the predicate joins.
//! Each literal is one the dialect reads in its own way (backslashes, doubled quotes, dollar
//! quotes, `E''`, `#` comments); a rewriter that reads it otherwise puts the predicate inside
//! a string or a comment, or lets a string end early.

mod sqlite {
    reads! { Sqlite;
        backslash_ends_the_string(id) r"SELECT id FROM items WHERE id = ? AND title <> '\'" [.bind(id)];
        doubled_quote_alone(id) r"SELECT id FROM items WHERE title <> '''' AND id = ?" [.bind(id)];
        double_backslash(id) r"SELECT id FROM items WHERE title <> '\\' AND id = ?" [.bind(id)];
        dash_dash_in_string(id) r"SELECT id FROM items WHERE id = ? AND title <> '--'" [.bind(id)];
        comment_open_in_string(id) r"SELECT id FROM items WHERE id = ? AND title <> '/*'" [.bind(id)];
        line_comment_after_where(id) "SELECT id FROM items WHERE id = ? -- OR 1 = 1" [.bind(id)];
        /// A line comment ends at a newline only, to SQLite: a predicate after the `\r` is
        /// still inside the comment.
        line_comment_ended_by_carriage_return(id) "SELECT id FROM items WHERE id = ? -- note\r" [.bind(id)];
        block_comment_inside_where(id) "SELECT id FROM items WHERE /* OR 1 = 1 */ id = ? /* the end */" [.bind(id)];
        unicode_next_to_where(id) "SELECT id FROM items WHERE title <> 'ünïcødé ☃ 𝄞 ''' AND id = ?" [.bind(id)];
        string_spelling_the_predicate(id) "SELECT id FROM items WHERE id = ? AND title <> 'items.owner_id = ?'" [.bind(id)];
        double_quoted_names(id) r#"SELECT "id" FROM "items" WHERE "items"."id" = ?"# [.bind(id)];
        backquoted_names(id) "SELECT `id` FROM `items` WHERE `id` = ?" [.bind(id)];
        bracketed_names(id) "SELECT [id] FROM [items] WHERE [id] = ?" [.bind(id)];
        blob_literal(id) "SELECT id FROM items WHERE title <> x'27' AND id = ?" [.bind(id)];
        /// SQLite has no backslash escapes: `'\'''` is `\'`. Printed back as `'\''`, SQLite
        /// reads that quote as doubled with the next, and the string runs on over the predicate.
        backslash_quote_in_select_list_and_where(id) r"SELECT id, '\''' FROM items WHERE title <> '\''' AND id = ?" [.bind(id)];
    }
    writes! { Sqlite;
        update_to_a_trailing_backslash(id) r"UPDATE items SET title = 'new\' WHERE id = ?" [.bind(id)];
        update_with_doubled_quotes_and_dashes(id) r"UPDATE items SET title = 'new''--' WHERE id = ?" [.bind(id)];
        update_then_line_comment(id) "UPDATE items SET title = 'new' WHERE id = ? -- mine" [.bind(id)];
        delete_then_block_comment(id) "DELETE FROM items WHERE id = ? /* mine */" [.bind(id)];
        delete_then_comment_ended_by_carriage_return(id) "DELETE FROM items WHERE id = ? -- mine\r" [.bind(id)];
        update_with_comment_marks_in_strings(id) "UPDATE items SET title = 'new' || '/*' WHERE id = ? AND title <> '*/'" [.bind(id)];
    }
}

mod postgres {
    reads! { Postgres;
        escape_string_quote(id) r"SELECT id FROM items WHERE title <> E'\'' AND id = $1" [.bind(id)];
        escape_string_backslash(id) r"SELECT id FROM items WHERE title <> E'\\' AND id = $1" [.bind(id)];
        /// Read without the `E`, this string ends after the backslash and `OR true` is code.
        escape_string_hiding_an_or(id) r"SELECT id FROM items WHERE id = $1 AND title <> E'\' OR true --'" [.bind(id)];
        doubled_quote(id) r"SELECT id FROM items WHERE title <> '''' AND id = $1" [.bind(id)];
        dollar_quote(id) r"SELECT id FROM items WHERE title <> $$'$$ AND id = $1" [.bind(id)];
        tagged_dollar_quote(id) r"SELECT id FROM items WHERE title <> $t$ $$ ' -- $t$ AND id = $1" [.bind(id)];
        dollar_quote_last(id) r"SELECT id FROM items WHERE id = $1 AND title <> $$--$$" [.bind(id)];
        dollar_quote_holding_a_placeholder(id) "SELECT id FROM items WHERE id = $1 AND title <> $a$$1$a$" [.bind(id)];
        dollar_in_identifier(id) "SELECT id AS a$b FROM items WHERE id = $1" [.bind(id)];
        dash_dash_in_string(id) r"SELECT id FROM items WHERE id = $1 AND title <> '--'" [.bind(id)];
        comment_open_in_string(id) r"SELECT id FROM items WHERE id = $1 AND title <> '/*'" [.bind(id)];
        line_comment_after_where(id) "SELECT id FROM items WHERE id = $1 -- OR true" [.bind(id)];
        line_comment_ended_by_carriage_return(id) "SELECT id FROM items WHERE id = $1 -- note\r" [.bind(id)];
        /// PostgreSQL ends a `--` comment at `\r` too: `OR true` is code to it.
        code_after_carriage_return(id) "SELECT id FROM items WHERE id = $1 -- note\r OR true" [.bind(id)];
        /// PostgreSQL nests block comments: the first `*/` does not end this one.
        nested_block_comment(id) "SELECT id FROM items WHERE id = $1 /* outer /* inner */ OR true */" [.bind(id)];
        unicode_next_to_where(id) "SELECT id FROM items WHERE title <> 'ünïcødé ☃ 𝄞 ''' AND id = $1" [.bind(id)];
        placeholder_spelled_in_string(id) "SELECT id FROM items WHERE id = $1 AND title <> 'items.owner_id = $2'" [.bind(id)];
        double_quoted_names(id) r#"SELECT "id" FROM "items" WHERE "items"."id" = $1"# [.bind(id)];
        unicode_escape_string(id) r"SELECT id FROM items WHERE title <> U&'7' AND id = $1" [.bind(id)];
        escape_string_lowercase_e(id) r"SELECT id FROM items WHERE id = $1 AND title <> e'' OR true --'" [.bind(id)];
    }
    writes! { Postgres;
        update_to_an_escaped_backslash(id) r"UPDATE items SET title = E'new\\' WHERE id = $1" [.bind(id)];
        update_to_a_dollar_quoted_quote(id) r"UPDATE items SET title = $$new'$$ WHERE id = $1" [.bind(id)];
        delete_after_escape_string(id) r"DELETE FROM items WHERE id = $1 AND title <> E'\''" [.bind(id)];
        update_then_line_comment(id) "UPDATE items SET title = 'new' WHERE id = $1 -- mine" [.bind(id)];
        delete_then_nested_comment(id) "DELETE FROM items WHERE id = $1 /* a /* b */ c */" [.bind(id)];
        delete_with_code_after_carriage_return(id) "DELETE FROM items WHERE id = $1 -- mine\r OR true" [.bind(id)];
    }
}

mod mariadb {
    reads! { MySql;
        doubled_quote(id) r"SELECT id FROM items WHERE title <> '''' AND id = ?" [.bind(id)];
        hash_comment_after_where(id) "SELECT id FROM items WHERE id = ? # OR 1 = 1" [.bind(id)];
        /// MySQL ends `#` and `-- ` comments at a newline only.
        hash_comment_ended_by_carriage_return(id) "SELECT id FROM items WHERE id = ? # note\r" [.bind(id)];
        dash_comment_ended_by_carriage_return(id) "SELECT id FROM items WHERE id = ? -- note\r" [.bind(id)];
        dash_dash_comment_after_where(id) "SELECT id FROM items WHERE id = ? -- OR 1 = 1" [.bind(id)];
        block_comment_inside_where(id) "SELECT id FROM items WHERE /* OR 1 = 1 */ id = ?" [.bind(id)];
        hash_in_string(id) "SELECT id FROM items WHERE id = ? AND title <> '#'" [.bind(id)];
        like_escape(id) r"SELECT id FROM items WHERE title NOT LIKE '%\_%' AND id = ?" [.bind(id)];
        backquoted_names(id) "SELECT `id` FROM `items` WHERE `items`.`id` = ?" [.bind(id)];
        question_mark_in_string(id) "SELECT id FROM items WHERE title <> '?' AND id = ?" [.bind(id)];
        /// `--` not followed by a space is two minus signs to MySQL, not a comment.
        double_minus_without_space(id) "SELECT id FROM items WHERE id = ?--1" [.bind(id - 1)];
        double_minus_then_or(id) "SELECT id FROM items WHERE id = ?--1 OR 1 = 1" [.bind(id)];
        quote_inside_backquotes(id) "SELECT id AS `it's` FROM items WHERE id = ? AND title <> '`'" [.bind(id)];
        hex_literal(id) "SELECT id FROM items WHERE title <> X'27' AND id = ?" [.bind(id)];
        double_quoted_string(id) r#"SELECT id FROM items WHERE title <> "it's ""quoted""" AND id = ?"# [.bind(id)];
        unicode_next_to_where(id) "SELECT id FROM items WHERE title <> 'ünïcødé ☃ ''' AND id = ?" [.bind(id)];
        national_string(id) "SELECT id FROM items WHERE title <> N'it''s' AND id = ?" [.bind(id)];
        charset_introducer(id) "SELECT id FROM items WHERE title <> _utf8mb4'it''s' AND id = ?" [.bind(id)];
    }
    writes! { MySql;
        update_then_hash_comment(id) "UPDATE items SET title = 'new' WHERE id = ? # mine" [.bind(id)];
        delete_then_hash_comment_ended_by_carriage_return(id) "DELETE FROM items WHERE id = ? # mine\r" [.bind(id)];
        update_to_a_doubled_quote(id) "UPDATE items SET title = 'new''' WHERE id = ?" [.bind(id)];
        update_to_a_double_quoted_string(id) r#"UPDATE items SET title = "new""" WHERE id = ?"# [.bind(id)];
        delete_next_to_a_dash_dash_string(id) "DELETE FROM items WHERE id = ? AND title <> ' OR 1 = 1 -- '" [.bind(id)];
    }
}
