//! Class 2: the many ways to name the guarded table — aliases (with and without `AS`, quoted,
//! named like another table or a column), quoted and mixed-case names, a schema, and the table
//! joined to itself. Every spelling must get the predicate on the right qualifier.

mod sqlite {
    reads! { Sqlite;
        alias_with_as(id) "SELECT i.id FROM items AS i WHERE i.id = ?" [.bind(id)];
        alias_without_as(id) "SELECT i.id FROM items i WHERE i.id = ?" [.bind(id)];
        quoted_alias(id) r#"SELECT "i".id FROM items AS "i" WHERE "i".id = ?"# [.bind(id)];
        /// The alias is another table's name: the predicate must follow the alias, not the name.
        aliased_as_the_other_table(id) "SELECT audit.id FROM items AS audit WHERE audit.id = ?" [.bind(id)];
        aliased_as_a_column(id) "SELECT owner_id.id FROM items owner_id WHERE owner_id.id = ?" [.bind(id)];
        mixed_case_table(id) "SELECT Id FROM ITEMS WHERE iD = ?" [.bind(id)];
        schema_qualified(id) "SELECT id FROM main.items WHERE id = ?" [.bind(id)];
        schema_qualified_and_aliased(id) "SELECT m.id FROM main.items m WHERE m.id = ?" [.bind(id)];
        quoted_table_unquoted_column(id) r#"SELECT "items".id FROM "items" WHERE items.id = ?"# [.bind(id)];
        /// SQLite compares names without case, quoted or not: `"ITEMS"` is `items`.
        quoted_upper_case_table(id) r#"SELECT id FROM "ITEMS" WHERE id = ?"# [.bind(id)];
        bracketed_upper_case_table(id) "SELECT id FROM [Items] WHERE id = ?" [.bind(id)];
        backquoted_upper_case_table(id) "SELECT id FROM `ITEMS` WHERE id = ?" [.bind(id)];
        quoted_schema_and_table(id) r#"SELECT id FROM "main"."Items" WHERE id = ?"# [.bind(id)];
        self_join(id) "SELECT b.id FROM items a JOIN items b ON a.id = b.id WHERE a.id = ?" [.bind(id)];
        self_join_comma(id) "SELECT b.id FROM items a, items b WHERE a.id = ? AND b.id = a.id" [.bind(id)];
        self_join_unaliased_first(id) "SELECT x.id FROM items JOIN items x ON x.id = items.id WHERE items.id = ?" [.bind(id)];
    }
    writes! { Sqlite;
        update_aliased(id) "UPDATE items AS i SET title = 'new' WHERE i.id = ?" [.bind(id)];
        delete_mixed_case(id) "DELETE FROM Items WHERE ID = ?" [.bind(id)];
        delete_schema_qualified(id) "DELETE FROM main.items WHERE id = ?" [.bind(id)];
        update_quoted(id) r#"UPDATE "items" SET "title" = 'new' WHERE "id" = ?"# [.bind(id)];
    }
}

mod postgres {
    reads! { Postgres;
        alias_with_as(id) "SELECT i.id FROM items AS i WHERE i.id = $1" [.bind(id)];
        alias_without_as(id) "SELECT i.id FROM items i WHERE i.id = $1" [.bind(id)];
        quoted_alias(id) r#"SELECT "I".id FROM items AS "I" WHERE "I".id = $1"# [.bind(id)];
        aliased_as_the_other_table(id) "SELECT audit.id FROM items AS audit WHERE audit.id = $1" [.bind(id)];
        mixed_case_table(id) "SELECT Id FROM ITEMS WHERE iD = $1" [.bind(id)];
        quoted_table(id) r#"SELECT "items"."id" FROM "items" WHERE id = $1"# [.bind(id)];
        self_join(id) "SELECT b.id FROM items a JOIN items b ON a.id = b.id WHERE a.id = $1" [.bind(id)];
        self_join_comma(id) "SELECT b.id FROM items a, items b WHERE a.id = $1 AND b.id = a.id" [.bind(id)];
    }
    writes! { Postgres;
        update_aliased(id) "UPDATE items AS i SET title = 'new' WHERE i.id = $1" [.bind(id)];
        delete_aliased_without_as(id) "DELETE FROM items i WHERE i.id = $1" [.bind(id)];
        delete_mixed_case(id) "DELETE FROM Items WHERE ID = $1" [.bind(id)];
        update_quoted(id) r#"UPDATE "items" SET "title" = 'new' WHERE "id" = $1"# [.bind(id)];
    }
}

mod mariadb {
    reads! { MySql;
        alias_with_as(id) "SELECT i.id FROM items AS i WHERE i.id = ?" [.bind(id)];
        alias_without_as(id) "SELECT i.id FROM items i WHERE i.id = ?" [.bind(id)];
        quoted_alias(id) "SELECT `i`.id FROM items AS `i` WHERE `i`.id = ?" [.bind(id)];
        aliased_as_the_other_table(id) "SELECT audit.id FROM items AS audit WHERE audit.id = ?" [.bind(id)];
        backquoted_table(id) "SELECT `items`.`id` FROM `items` WHERE id = ?" [.bind(id)];
        self_join(id) "SELECT b.id FROM items a JOIN items b ON a.id = b.id WHERE a.id = ?" [.bind(id)];
        self_join_comma(id) "SELECT b.id FROM items a, items b WHERE a.id = ? AND b.id = a.id" [.bind(id)];
    }
    writes! { MySql;
        update_aliased(id) "UPDATE items AS i SET title = 'new' WHERE i.id = ?" [.bind(id)];
        delete_multi_table_aliased(id) "DELETE i FROM items i WHERE i.id = ?" [.bind(id)];
        update_backquoted(id) "UPDATE `items` SET `title` = 'new' WHERE `id` = ?" [.bind(id)];
    }
}
