//! End to end: the `conduit` server as a separate process, driven over HTTP with `ureq` as a
//! client would, on each backend. Every refusal is checked twice: the answer, and the rows it
//! must not have changed, read past the server.

mod optional;
mod scenarios;
mod server;
mod tokens;

use guarded_testkit::Database;
use server::Server;

fn end_to_end(backend: &str) {
    let Some(database) = Database::fresh(backend) else {
        return;
    };
    // Dropped before the database (declared after it): the server lets go of it first.
    let server = Server::start(&database.url);
    scenarios::run(&server);
}

#[test]
fn conduit_end_to_end_on_sqlite() {
    end_to_end("sqlite");
}

#[test]
fn conduit_end_to_end_on_postgres() {
    end_to_end("postgres");
}

#[test]
fn conduit_end_to_end_on_mariadb() {
    end_to_end("mysql");
}
