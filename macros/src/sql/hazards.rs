//! Forms the parser and the database read differently, refused before any rewriting.
//!
//! The guard reasons about the statement the parser reports; wherever a database would run
//! something else, the reasoning is void. Each form here is one the guard cannot make agree.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Cte, Expr, ObjectName, Query, Statement, TableFactor, Visit, Visitor,
};

use super::names::{idents, is_table, last_name};

/// Functions that run SQL given as text, or read a table given by name, or change settings
/// that decide which table a name means: what they read never passes through the guard.
const OPAQUE_FUNCTIONS: &[&str] = &[
    // PostgreSQL: SQL or a table name as text.
    "query_to_xml",
    "query_to_xmlschema",
    "query_to_xml_and_xmlschema",
    "cursor_to_xml",
    "cursor_to_xmlschema",
    "table_to_xml",
    "table_to_xmlschema",
    "table_to_xml_and_xmlschema",
    "schema_to_xml",
    "schema_to_xmlschema",
    "schema_to_xml_and_xmlschema",
    "database_to_xml",
    "database_to_xmlschema",
    "database_to_xml_and_xmlschema",
    "ts_stat",
    "ts_rewrite",
    "dblink",
    "dblink_exec",
    "dblink_open",
    "dblink_fetch",
    "dblink_send_query",
    "dblink_get_result",
    // PostgreSQL: `search_path` decides which `items` a later statement means.
    "set_config",
    // SQLite: SQL as text, and code loaded at run time.
    "eval",
    "load_extension",
];

/// Refuses the forms of this module anywhere in the statement; `table` is the guarded one.
pub fn refuse(statement: &Statement, table: &str) -> Result<(), String> {
    match statement.visit(&mut Hazards { table }) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(message) => Err(message),
    }
}

/// Refuses a CTE named like `table`, a table a policy condition reads: inside the condition's
/// sub-select the CTE would stand in for it (a share or a role the statement makes up).
pub fn shadowing(statement: &Statement, table: &str) -> Result<(), String> {
    struct Ctes<'a>(&'a str);
    impl Visitor for Ctes<'_> {
        type Break = String;
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<String> {
            let ctes = query.with.iter().flat_map(|with| &with.cte_tables);
            match ctes
                .map(|cte| &cte.alias.name)
                .find(|name| is_table(&ObjectName::from(vec![(*name).clone()]), self.0))
            {
                Some(name) => ControlFlow::Break(format!(
                    "the CTE `{name}` is named like `{}`, which a condition of the policy reads, \
                     and would stand in for it there; give the CTE another name",
                    self.0
                )),
                None => ControlFlow::Continue(()),
            }
        }
    }
    match statement.visit(&mut Ctes(table)) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(message) => Err(message),
    }
}

struct Hazards<'a> {
    table: &'a str,
}

impl Visitor for Hazards<'_> {
    type Break = String;

    /// A CTE named like the guarded table stands in for it wherever the name is read, with
    /// whatever owner column it makes up: the predicate would then compare the CTE's column,
    /// not the table's.
    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<String> {
        let ctes = query.with.iter().flat_map(|with| &with.cte_tables);
        match ctes
            .map(|cte: &Cte| &cte.alias.name)
            .find(|name| is_table(&ObjectName::from(vec![(*name).clone()]), self.table))
        {
            Some(name) => ControlFlow::Break(format!(
                "the CTE `{name}` is named like the guarded table `{}` and would stand in for \
                 it; give the CTE another name",
                self.table
            )),
            None => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_relation(&mut self, name: &ObjectName) -> ControlFlow<String> {
        only(name)?;
        function(name)
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
        match expr {
            Expr::Function(f) => function(&f.name),
            _ => ControlFlow::Continue(()),
        }
    }
}

/// PostgreSQL reads `FROM ONLY items` as the table `items` without its inheritance
/// children; the parser reads a table `ONLY` aliased `items`. Neither reading may pass, and
/// `ONLY` is never a table to declare.
fn only(name: &ObjectName) -> ControlFlow<String> {
    let parts = idents(name);
    if parts.len() == 1
        && parts[0].quote_style.is_none()
        && parts[0].value.eq_ignore_ascii_case("only")
    {
        return ControlFlow::Break(
            "`ONLY` is not supported in a guarded fn: the parser does not read it as \
             PostgreSQL does; name the table alone"
                .into(),
        );
    }
    ControlFlow::Continue(())
}

fn function(name: &ObjectName) -> ControlFlow<String> {
    let last = last_name(name);
    if OPAQUE_FUNCTIONS
        .iter()
        .any(|f| f.eq_ignore_ascii_case(&last))
    {
        return ControlFlow::Break(format!(
            "`{last}` runs SQL (or reads a table) that the guard cannot see; query the \
             table directly so the predicate can be added"
        ));
    }
    ControlFlow::Continue(())
}

/// Functions known to have no side effect and to read nothing but their arguments (and the
/// clock, or a random source), on some backend: the only ones a statement on a guarded table
/// may call. A function evaluated on a row the predicate will reject must leave no trace of
/// it (`pg_notify(.., title)`, `nextval`, a lock, a sleep as a timing signal, a user
/// variable), and the servers do not promise to evaluate the predicate first. An allowlist is
/// kept complete by construction: a function missing here is refused with a message, never
/// let through; add it here once it is known to have no effect.
const PURE_FUNCTIONS: &[&str] = &[
    // Aggregates and window functions.
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "total",
    "group_concat",
    "string_agg",
    "array_agg",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "json_group_array",
    "json_group_object",
    "json_arrayagg",
    "json_objectagg",
    "bool_and",
    "bool_or",
    "every",
    "bit_and",
    "bit_or",
    "bit_xor",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
    // Conditionals and comparisons.
    "coalesce",
    "ifnull",
    "nullif",
    "if",
    "iif",
    "greatest",
    "least",
    "isnull",
    // Text.
    "lower",
    "upper",
    "lcase",
    "ucase",
    "length",
    "char_length",
    "character_length",
    "octet_length",
    "bit_length",
    "substr",
    "substring",
    "trim",
    "ltrim",
    "rtrim",
    "btrim",
    "replace",
    "concat",
    "concat_ws",
    "instr",
    "position",
    "strpos",
    "locate",
    "left",
    "right",
    "lpad",
    "rpad",
    "repeat",
    "reverse",
    "split_part",
    "ascii",
    "chr",
    "char",
    "initcap",
    "translate",
    "format",
    "printf",
    "quote",
    "quote_ident",
    "quote_literal",
    "starts_with",
    "regexp_replace",
    "regexp_like",
    "regexp_substr",
    "regexp_instr",
    "regexp_match",
    "regexp_matches",
    "like",
    "glob",
    "soundex",
    "hex",
    "unhex",
    "to_hex",
    "md5",
    "sha1",
    "sha2",
    "encode",
    "decode",
    "to_base64",
    "from_base64",
    "unicode",
    "collation",
    "field",
    "find_in_set",
    "values",
    // Numbers.
    "abs",
    "round",
    "floor",
    "ceil",
    "ceiling",
    "trunc",
    "truncate",
    "mod",
    "power",
    "pow",
    "sqrt",
    "exp",
    "ln",
    "log",
    "log2",
    "log10",
    "sign",
    "random",
    "rand",
    "pi",
    "div",
    "width_bucket",
    // Dates and times.
    "now",
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "clock_timestamp",
    "date",
    "time",
    "datetime",
    "julianday",
    "strftime",
    "unixepoch",
    "timediff",
    "date_trunc",
    "date_part",
    "date_bin",
    "age",
    "to_char",
    "to_date",
    "to_timestamp",
    "to_number",
    "make_date",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "make_interval",
    "date_add",
    "date_sub",
    "adddate",
    "subdate",
    "datediff",
    "timestampdiff",
    "timestampadd",
    "unix_timestamp",
    "from_unixtime",
    "utc_timestamp",
    "utc_date",
    "utc_time",
    "curdate",
    "curtime",
    "sysdate",
    "year",
    "month",
    "day",
    "dayofmonth",
    "dayofweek",
    "dayofyear",
    "hour",
    "minute",
    "second",
    "week",
    "weekday",
    "quarter",
    "last_day",
    "date_format",
    "str_to_date",
    "makedate",
    "maketime",
    "isfinite",
    // JSON.
    "json",
    "jsonb",
    "json_extract",
    "json_unquote",
    "json_object",
    "json_array",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
    "to_json",
    "to_jsonb",
    "row_to_json",
    "json_set",
    "jsonb_set",
    "json_insert",
    "jsonb_insert",
    "json_replace",
    "json_remove",
    "json_patch",
    "json_type",
    "jsonb_typeof",
    "json_typeof",
    "json_valid",
    "json_length",
    "json_array_length",
    "jsonb_array_length",
    "json_contains",
    "json_contains_path",
    "json_keys",
    "json_quote",
    "json_each",
    "json_tree",
    "jsonb_each",
    "jsonb_each_text",
    "json_each_text",
    "jsonb_array_elements",
    "json_array_elements",
    "jsonb_array_elements_text",
    "json_array_elements_text",
    "jsonb_path_exists",
    "jsonb_path_query",
    "jsonb_strip_nulls",
    "json_strip_nulls",
    "jsonb_pretty",
    "json_value",
    "json_query",
    "json_exists",
    // Arrays, sets and types.
    "unnest",
    "array_length",
    "cardinality",
    "array_position",
    "array_positions",
    "array_remove",
    "array_append",
    "array_prepend",
    "array_cat",
    "array_to_string",
    "string_to_array",
    "array_upper",
    "array_lower",
    "generate_series",
    "typeof",
    "pg_typeof",
    "gen_random_uuid",
    "uuid",
    "uuid_generate_v4",
    "randomblob",
    "zeroblob",
];

/// Refuses, in a statement on a guarded table, what could act on a row before the predicate
/// rejects it: a function not known to be pure ([`PURE_FUNCTIONS`]), a schema-qualified
/// function (another schema's `lower` is anyone's code), a user variable assigned with `:=`,
/// and a user-defined operator (a function under another name).
pub fn side_effects(statement: &Statement) -> Result<(), String> {
    struct Effects;
    impl Visitor for Effects {
        type Break = String;
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
            match expr {
                Expr::Function(f) => pure(&f.name),
                Expr::BinaryOp {
                    op: BinaryOperator::Assignment,
                    ..
                } => ControlFlow::Break(
                    "`:=` assigns a user variable on every row the server reads, the rows the \
                     guard will reject included; return the value instead"
                        .into(),
                ),
                Expr::BinaryOp {
                    op: op @ (BinaryOperator::Custom(_) | BinaryOperator::PGCustomBinaryOperator(_)),
                    ..
                } => ControlFlow::Break(format!(
                    "the operator `{op}` runs code the guard does not know to be free of side \
                     effects, on rows the guard will reject too; write it with a built-in \
                     operator"
                )),
                _ => ControlFlow::Continue(()),
            }
        }
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<String> {
            match factor {
                TableFactor::Table {
                    name,
                    args: Some(_),
                    ..
                }
                | TableFactor::Function { name, .. } => pure(name),
                _ => ControlFlow::Continue(()),
            }
        }
    }
    match statement.visit(&mut Effects) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(message) => Err(message),
    }
}

fn pure(name: &ObjectName) -> ControlFlow<String> {
    let parts = idents(name);
    let known = parts.len() == 1
        && PURE_FUNCTIONS
            .iter()
            .any(|f| f.eq_ignore_ascii_case(&parts[0].value));
    if known {
        return ControlFlow::Continue(());
    }
    ControlFlow::Break(format!(
        "`{name}` is not a function the guard knows to be free of side effects, and a \
         server may call it on rows the guard's predicate rejects (another owner's); compute \
         it in Rust, or outside this statement (the list is `PURE_FUNCTIONS` in \
         macros/src/sql/hazards.rs)"
    ))
}
