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

/// [`find`] for a name as the command line gives it: one that is not UTF-8 (a Latin-1 file
/// name from an older system or an archive) can only be a path, and is read as one.
pub fn find_os(name: &std::ffi::OsStr) -> Result<Routine, LoadError> {
    match name.to_str() {
        Some(s) => find(s),
        None => load_file(Path::new(name)),
    }
}

/// Whose a routine in the catalog is, as `list` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// Shipped, and played under its name.
    Builtin,
    /// Shipped, but a routine of the person's with its name is played instead.
    Replaced,
    /// The person's own.
    Yours,
    /// The person's own, played in place of the built-in one of its name.
    InPlaceOfBuiltin,
}

/// One routine in the catalog, under the name that plays it (a built-in's id, a user file's
/// name), loaded: a user file that does not load is listed with its problems.
#[derive(Debug)]
pub struct Listed {
    pub name: String,
    pub whose: Whose,
    /// The person's file, for their routines.
    pub file: Option<PathBuf>,
    pub routine: Result<Routine, LoadError>,
}

/// Every routine the person can play: the built-in ones, then theirs sorted by path. A
/// built-in routine that does not load is an error (ours).
pub fn listing() -> Result<Vec<Listed>, LoadError> {
    let users = user_files();
    let stem = |p: &PathBuf| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut listed = Vec::new();
    for b in BUILTIN {
        let replaced = users.iter().any(|p| stem(p) == b.id);
        listed.push(Listed {
            name: b.id.to_owned(),
            whose: if replaced {
                Whose::Replaced
            } else {
                Whose::Builtin
            },
            file: None,
            routine: Ok(b.load().map_err(LoadError::Invalid)?),
        });
    }
    for file in users {
        let name = stem(&file);
        let whose = if builtin_source(&name).is_some() {
            Whose::InPlaceOfBuiltin
        } else {
            Whose::Yours
        };
        listed.push(Listed {
            routine: load_file(&file),
            name,
            whose,
            file: Some(file),
        });
    }
    Ok(listed)
}

/// The routine `check NAME` checks: a built-in by its id when no file of that name exists
/// (found as [`find`] finds it), else the file `name`.
pub fn for_check(name: &std::ffi::OsStr) -> Result<Routine, LoadError> {
    if let Some(id) = name.to_str()
        && !Path::new(name).exists()
        && builtin_source(id).is_some()
    {
        find(id)
    } else {
        load_file(Path::new(name))
    }
}
