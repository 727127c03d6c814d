//! Saved positions: where a stopped session can go on from. One small JSON file per routine in
//! the user's state folder (`$XDG_STATE_HOME/hipvoice/positions/ROUTINE.json`), written to a
//! temporary file beside it, synced, then renamed over it, so a crash or a full disk never
//! leaves a broken file: a reader sees the old position or the new one.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A place to go on from: the start of an exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// The routine's key ([`key`]): its id for a built-in one.
    pub routine: String,
    /// The exercise's id and name.
    pub exercise: String,
    pub name: String,
    /// Seconds since the Unix epoch.
    pub saved_at: u64,
}

/// The name a routine's place is saved under: a built-in routine's id (`stretch`), and for a
/// routine read from a file its id and a CRC-32 of the file's canonical path
/// (`stretch@1a2b3c4d`), so a copy of a built-in routine, or two files with one id, never
/// share a place.
pub fn key(r: &crate::routine::Routine) -> String {
    match &r.origin {
        crate::routine::Origin::Builtin => r.id.clone(),
        crate::routine::Origin::File(p) => {
            let canon = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
            let sum = crc.checksum(canon.as_os_str().as_encoded_bytes());
            format!("{}@{sum:08x}", r.id)
        }
    }
}

/// The folder of saved positions, if the platform has a state folder.
pub fn dir() -> Option<PathBuf> {
    crate::dirs::positions()
}

/// Routine ids are lower-case letters, digits and dashes (checked when a routine is read), and
/// a [`key`] adds `@` and hex digits, so one is a safe file name.
fn file(dir: &Path, routine: &str) -> PathBuf {
    dir.join(format!("{routine}.json"))
}

/// The saved position of a routine, if there is a readable one. A damaged file counts as none.
pub fn load(routine: &str) -> Option<Saved> {
    load_in(&dir()?, routine)
}

pub fn load_in(dir: &Path, routine: &str) -> Option<Saved> {
    let path = file(dir, routine);
    // A position is a few hundred bytes: anything else is not ours.
    let bytes = crate::files::read_limited(&path, 64 * 1024).ok()?;
    let s: Saved = serde_json::from_slice(&bytes).ok()?;
    (s.routine == routine).then_some(s)
}

/// Saves a position, replacing the old one in one rename.
pub fn save(s: &Saved) -> std::io::Result<()> {
    let dir = dir().ok_or_else(|| std::io::Error::other("no state folder"))?;
    save_in(&dir, s)
}

pub fn save_in(dir: &Path, s: &Saved) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    let json = serde_json::to_string_pretty(s).map_err(std::io::Error::other)?;
    tmp.write_all(json.as_bytes())?;
    tmp.write_all(b"\n")?;
    tmp.as_file().sync_all()?;
    tmp.persist(file(dir, &s.routine)).map_err(|e| e.error)?;
    Ok(())
}

/// Forgets a routine's position (the session was finished). A missing file is fine.
pub fn clear(routine: &str) -> std::io::Result<()> {
    match dir() {
        Some(d) => clear_in(&d, routine),
        None => Ok(()),
    }
}

pub fn clear_in(dir: &Path, routine: &str) -> std::io::Result<()> {
    match std::fs::remove_file(file(dir, routine)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Seconds since the Unix epoch, now.
/// The command that resumes what the person typed: a built-in or user routine by its name,
/// a file by its path.
pub fn command(name: &str) -> String {
    if names_a_file(name) {
        format!("hipvoice play {name} --resume")
    } else {
        format!("hipvoice {name} --resume")
    }
}

/// True when what the person typed names a routine file rather than a routine by its name.
pub fn names_a_file(name: &str) -> bool {
    name.ends_with(".toml") || name.contains('/') || Path::new(name).is_file()
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(ex: &str) -> Saved {
        Saved {
            routine: "stretch".into(),
            exercise: ex.into(),
            name: "Butterfly".into(),
            saved_at: 1,
        }
    }

    #[test]
    fn a_position_is_saved_replaced_and_cleared() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("positions");
        assert_eq!(load_in(&dir, "stretch"), None);
        save_in(&dir, &saved("knee-lifts")).unwrap();
        save_in(&dir, &saved("butterfly")).unwrap();
        assert_eq!(load_in(&dir, "stretch"), Some(saved("butterfly")));
        // Only the file itself is left: no temporary beside it.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        clear_in(&dir, "stretch").unwrap();
        assert_eq!(load_in(&dir, "stretch"), None);
        clear_in(&dir, "stretch").unwrap();
    }

    #[test]
    fn a_damaged_or_foreign_file_counts_as_no_position() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("stretch.json"), "{\"routine\": \"stre").unwrap();
        assert_eq!(load_in(d.path(), "stretch"), None);
        let other = Saved {
            routine: "strengthen".into(),
            ..saved("x")
        };
        std::fs::write(
            d.path().join("stretch.json"),
            serde_json::to_string(&other).unwrap(),
        )
        .unwrap();
        assert_eq!(load_in(d.path(), "stretch"), None);
    }
}
