//! End to end: the demo server as a separate process on a free port, driven over HTTP, on
//! each backend (its handlers are written once, for `Guard<Any>`). Every refusal is checked
//! twice: the answer, and the rows it must not have changed.

mod basics;
mod database;
mod policies;
mod probe;
mod rows;
mod server;

use guarded_testkit::Database;
use server::Server;

fn end_to_end(backend: &str) {
    let Some(database) = Database::fresh(backend) else {
        return;
    };
    // Dropped before the database (declared after it): the server lets go of it first.
    let server = Server::start(&database.url);
    basics::run(&server);
    policies::run(&server);
    probe::run(&server);
    assert!(
        server.log().contains("denied"),
        "the server logs its denials"
    );
}

#[test]
fn the_demo_api_end_to_end_on_sqlite() {
    end_to_end("sqlite");
}

#[test]
fn the_demo_api_end_to_end_on_postgres() {
    end_to_end("postgres");
}

#[test]
fn the_demo_api_end_to_end_on_mariadb() {
    end_to_end("mysql");
}
