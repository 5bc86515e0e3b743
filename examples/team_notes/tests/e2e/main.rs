//! End to end: the router the server serves, on a fresh database of each backend, driven
//! with HTTP requests (`tower::ServiceExt::oneshot`). Every refusal is checked twice: the
//! answer, and the rows it must not have changed, read with plain sqlx.

mod app;
mod notes;
mod rows;
mod tenants;

use app::App;
use guarded_testkit::{Database, block_on};

fn end_to_end(backend: &str) {
    let Some(database) = Database::fresh(backend) else {
        eprintln!("{backend}: its server's variable is unset, skipped");
        return;
    };
    block_on(async {
        let app = App::start(&database.url).await;
        tenants::run(&app).await;
        notes::run(&app).await;
        app.pool.close().await;
    });
}

#[test]
fn team_notes_on_sqlite() {
    end_to_end("sqlite");
}

#[test]
fn team_notes_on_postgres() {
    end_to_end("postgres");
}

#[test]
fn team_notes_on_mariadb() {
    end_to_end("mysql");
}
