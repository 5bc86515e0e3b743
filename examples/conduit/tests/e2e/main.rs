//! End to end: the `conduit` server as a separate process, driven over HTTP with `ureq` as a
//! client would, on each backend. Every refusal is checked twice: the answer, and the rows it
//! must not have changed, read past the server.

#[path = "../../../items_api/tests/e2e/database.rs"]
mod database;
mod optional;
mod scenarios;
mod server;
mod tokens;

use server::Server;

fn end_to_end(backend: &str) {
    let Some(url) = database::fresh(backend) else {
        return;
    };
    let server = Server::start(&url);
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
