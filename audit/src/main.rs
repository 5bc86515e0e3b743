//! `guarded-audit [OPTIONS] [PATH/Cargo.toml]`: see README.md beside this crate.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: guarded-audit [--json] [--sarif FILE] [--deny-unguarded] [--quiet] \
                     [PATH/Cargo.toml]";

struct Options {
    manifest: PathBuf,
    json: bool,
    sarif: Option<PathBuf>,
    deny_unguarded: bool,
    quiet: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        manifest: PathBuf::from("Cargo.toml"),
        json: false,
        sarif: None,
        deny_unguarded: false,
        quiet: false,
    };
    let mut manifest = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => options.json = true,
            "--sarif" => options.sarif = Some(args.next().ok_or("--sarif needs a FILE")?.into()),
            "--deny-unguarded" => options.deny_unguarded = true,
            "--quiet" | "-q" => options.quiet = true,
            "--help" | "-h" => return Err(String::new()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            path if manifest.is_none() => manifest = Some(PathBuf::from(path)),
            extra => return Err(format!("one crate at a time: {extra}")),
        }
    }
    if let Some(manifest) = manifest {
        options.manifest = manifest;
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("guarded-audit: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Progress on a terminal, for crates of many files; a pipe or a CI log gets none.
    let show = !options.quiet && std::io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize, path: &str| {
        if show && total >= 20 {
            eprint!("\r\x1b[2Kguarded-audit: [{done}/{total}] {path}");
            if done == total {
                eprintln!();
            }
        }
    };
    let report = match guarded_audit::audit(&options.manifest, &mut progress) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("guarded-audit: {e}");
            return ExitCode::from(2);
        }
    };
    if options.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("guarded-audit: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", guarded_audit::text::render(&report));
    }
    if let Some(path) = &options.sarif {
        let sarif = guarded_audit::sarif::render(&report);
        let written = serde_json::to_string_pretty(&sarif)
            .map_err(|e| e.to_string())
            .and_then(|text| std::fs::write(path, text + "\n").map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("guarded-audit: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    let denied: Vec<_> = report.denied().collect();
    if options.deny_unguarded && !denied.is_empty() {
        for s in &denied {
            eprintln!(
                "guarded-audit: unguarded write at {}:{} in `{}` ({})",
                s.file, s.line, s.in_fn, s.what
            );
        }
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
