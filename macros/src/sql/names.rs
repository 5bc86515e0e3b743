//! Table names: which relations are the guarded table, and how to qualify its owner column.

use std::ops::ControlFlow;

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart, Statement, visit_relations};

pub use crate::policy::last_name;

/// Tables match on their last name part, case-insensitively, quoted or not: `public.items`,
/// `"Items"` and `items` are all the guarded table. Matching too much only adds predicates
/// (or refusals) to a statement on a same-named table of another schema; matching too little
/// would leave a reference unguarded.
pub fn is_table(name: &ObjectName, table: &str) -> bool {
    let wanted = table.rsplit('.').next().unwrap_or(table);
    last_name(name).eq_ignore_ascii_case(wanted)
}

/// The identifier parts of a name, quotes kept, so a qualifier renders as the user wrote it.
pub fn idents(name: &ObjectName) -> Vec<Ident> {
    name.0
        .iter()
        .filter_map(|part| match part {
            ObjectNamePart::Identifier(ident) => Some(ident.clone()),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

/// How many times the statement names the guarded table as a relation: what the injector
/// must account for, reference by reference.
pub fn references(statement: &Statement, table: &str) -> usize {
    let mut count = 0;
    let _ = visit_relations(statement, |name| {
        if is_table(name, table) {
            count += 1;
        }
        ControlFlow::<()>::Continue(())
    });
    count
}
