//! Which routine a name means: a file by its path, one of the person's own routines by its
//! file name (in [`crate::dirs::user_routines`]), or a built-in one. A routine of the person's
//! named like a built-in one takes its place: a copy to change.

use std::path::{Path, PathBuf};

use super::{BUILTIN, LoadError, Routine, builtin_source, load_file, nearest};

/// The person's routine files (`*.toml` in their routines folder), sorted by path; none when
/// the folder does not exist or cannot be read.
pub fn user_files() -> Vec<PathBuf> {
    let Some(dir) = crate::dirs::user_routines() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// The routine `name` means: a path (it ends in `.toml`, has a `/`, or is a file), then the
/// person's routine of that name, then the built-in one. Errors: [`LoadError::Unknown`] with
/// the nearest known name, or the routine's own load errors.
pub fn find(name: &str) -> Result<Routine, LoadError> {
    let path = Path::new(name);
    let looks_like_path =
        name.ends_with(".toml") || name.contains(std::path::MAIN_SEPARATOR) || name.contains('/');
    if looks_like_path || path.is_file() {
        return load_file(path);
    }
    if let Some(dir) = crate::dirs::user_routines() {
        let file = dir.join(format!("{name}.toml"));
        if file.is_file() {
            return load_file(&file);
        }
    }
    if let Some(b) = builtin_source(name) {
        return b.load().map_err(LoadError::Invalid);
    }
    let mut known: Vec<String> = BUILTIN.iter().map(|b| b.id.to_owned()).collect();
    known.extend(
        user_files()
            .iter()
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned())),
    );
    let refs: Vec<&str> = known.iter().map(String::as_str).collect();
    Err(LoadError::Unknown {
        name: name.to_owned(),
        nearest: nearest(name, &refs).map(str::to_owned),
    })
}
