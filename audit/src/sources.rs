//! The crate's sources: every `.rs` file under its directory (`src/`, `tests/`, `examples/`,
//! `benches/`, `build.rs`), each parsed with syn. A directory holding its own `Cargo.toml` is
//! another package, and `target/` holds build output: both are left out.

use std::path::{Path, PathBuf};

/// One parsed source file.
pub struct Source {
    /// Its path relative to the crate's directory, with `/` between components.
    pub path: String,
    pub file: syn::File,
}

/// The `.rs` files of the crate in `dir`, sorted by path.
pub fn files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    collect(dir, dir, &mut found)?;
    found.sort();
    Ok(found)
}

fn collect(root: &Path, dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            let hidden = name.to_string_lossy().starts_with('.');
            let other_package = path.join("Cargo.toml").is_file();
            if !hidden && name != "target" && !other_package {
                collect(root, &path, found)?;
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
        }
    }
    Ok(())
}

/// Parses the file at `dir/path`; a file that does not parse is an error, since what it
/// holds would go unlisted.
pub fn parse(dir: &Path, path: &Path) -> Result<Source, String> {
    let text = std::fs::read_to_string(dir.join(path))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file = syn::parse_file(&text).map_err(|e| {
        let at = e.span().start();
        format!("{}:{}:{}: {e}", path.display(), at.line, at.column + 1)
    })?;
    let path = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    Ok(Source { path, file })
}
