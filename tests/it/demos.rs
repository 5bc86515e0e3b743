//! The README's demos run and show what it says they show.

use std::process::Command;

#[test]
fn quickstart_shows_the_owner_write_and_the_stranger_refused() {
    let out = Command::new(crate::common::example_binary("quickstart"))
        .output()
        .expect("run quickstart");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("alice renames her item:   204"), "{stdout}");
    assert!(stdout.contains("mallory renames it:       404"), "{stdout}");
}

/// The unauthorized-writes column of the handler's row in the demo's table.
fn unauthorized(table: &str, handler: &str) -> u32 {
    let line = table
        .lines()
        .find(|l| l.starts_with(handler))
        .unwrap_or_else(|| panic!("no {handler} row in:\n{table}"));
    line.split('|')
        .nth(2)
        .and_then(|cell| cell.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"))
}

#[test]
fn race_demo_shows_violations_only_for_the_naive_handler() {
    let out = Command::new(crate::common::example_binary("race_demo"))
        .arg("300")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run race_demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        unauthorized(&stdout, "naive") > 0,
        "the race was not seen:\n{stdout}"
    );
    assert_eq!(unauthorized(&stdout, "guarded"), 0, "{stdout}");
}
