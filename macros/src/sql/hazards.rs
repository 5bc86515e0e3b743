//! Forms the parser and the database read differently, refused before any rewriting.
//!
//! The guard reasons about the statement the parser reports; wherever a database would run
//! something else, the reasoning is void. Each form here is one the guard cannot make agree.

use std::ops::ControlFlow;

use sqlparser::ast::{Cte, Expr, ObjectName, Query, Statement, Visit, Visitor};

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
