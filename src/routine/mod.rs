//! Routines: TOML files turned into a checked [`Routine`]. No time, no audio.
//!
//! A routine is read in two steps: serde reads the file into `raw` structures that keep every
//! value's span, then `validate` checks each value and reports every problem it finds as a
//! `file:line:col` diagnostic with a hint. A `Routine` that comes out of here is within all limits.

mod builtin;
mod raw;
mod validate;

pub use validate::{nearest, toml_error};

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use builtin::{BUILTIN, builtin_source};

use crate::diag::{Diagnostic, Diagnostics, Loc, SourceMap};

/// Limits against absurd input. Each is a clear error, never a crash or a four-day session.
pub mod limits {
    /// The largest routine file read.
    pub const MAX_FILE_BYTES: usize = 1024 * 1024;
    pub const MAX_HOLD_SECS: f64 = 600.0;
    pub const MAX_REST_SECS: f64 = 600.0;
    pub const MAX_SETUP_SECS: f64 = 600.0;
    pub const MAX_TEMPO_SECS: f64 = 60.0;
    pub const MAX_LEAD_IN_SECS: f64 = 600.0;
    pub const MAX_REPS: i64 = 100;
    pub const MAX_SETS: i64 = 20;
    pub const MAX_COUNTDOWN: i64 = 10;
    pub const MAX_TEXT_CHARS: usize = 1000;
    pub const MAX_EXERCISES: usize = 100;
    pub const MAX_SESSION_SECS: f64 = 4.0 * 3600.0;
}

/// Where a routine came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Shipped in `routines/` and compiled into the binary.
    Builtin,
    /// Read from a file; sound paths are relative to its folder.
    File(PathBuf),
}

/// A checked routine.
#[derive(Debug, Clone)]
pub struct Routine {
    pub id: String,
    pub title: String,
    pub description: String,
    pub language: String,
    pub frequency: Option<String>,
    pub best_time: Option<String>,
    pub safety: Vec<Text>,
    /// Seconds to get down onto the mat after the command; `None` takes the player's default.
    pub lead_in_secs: Option<f64>,
    pub pain_rule: Option<PainRule>,
    pub exercises: Vec<Exercise>,
    pub origin: Origin,
    /// The file name used in diagnostics (`routines/stretch.toml` for built-ins).
    pub source_name: Arc<str>,
}

/// The article's rule: pain that lasts longer than this after a session means fewer repetitions.
#[derive(Debug, Clone, PartialEq)]
pub struct PainRule {
    pub after_hours: f64,
    pub advice: String,
}

#[derive(Debug, Clone)]
pub struct Exercise {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    /// How to get into position; said once before the first rep.
    pub setup: Vec<Text>,
    pub setup_secs: f64,
    /// Said before every rep: the movement into the held position.
    pub cue: Vec<Text>,
    /// Said after every hold: how to come back.
    pub release: Vec<Text>,
    /// Said when the side changes; `None` takes the language's "switch to your right leg".
    pub switch: Option<Vec<Text>>,
    pub sides: Sides,
    /// Reps per side (or in all, for `Sides::None`).
    pub reps: u32,
    pub sets: u32,
    pub hold_secs: f64,
    /// Seconds to move into the position after the cue, and the same to come back.
    pub tempo_secs: f64,
    pub rest_between_reps_secs: f64,
    pub rest_between_sides_secs: f64,
    pub rest_between_sets_secs: f64,
    /// The last seconds of each hold counted aloud; 0 for none.
    pub countdown: u32,
    pub start_sound: SoundRef,
    pub release_sound: SoundRef,
}

/// Which sides an exercise works, and in what order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sides {
    None,
    LeftThenRight,
    RightThenLeft,
    /// Left, right, left, right: one rep each side per round.
    Alternating,
}

impl Sides {
    pub const NAMES: [&'static str; 4] =
        ["none", "left-then-right", "right-then-left", "alternating"];

    pub fn parse(s: &str) -> Option<Sides> {
        match s {
            "none" => Some(Sides::None),
            "left-then-right" => Some(Sides::LeftThenRight),
            "right-then-left" => Some(Sides::RightThenLeft),
            "alternating" => Some(Sides::Alternating),
            _ => None,
        }
    }

    /// The sides in the order they are worked.
    pub fn order(self) -> &'static [Side] {
        match self {
            Sides::None => &[],
            Sides::LeftThenRight | Sides::Alternating => &[Side::Left, Side::Right],
            Sides::RightThenLeft => &[Side::Right, Side::Left],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Left,
    Right,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

/// A spoken line. It may name the side being worked, `{side}`, and the other one, `{other_side}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    pub const PLACEHOLDERS: [&'static str; 2] = ["side", "other_side"];

    pub fn template(&self) -> &str {
        &self.0
    }

    pub fn names_side(&self) -> bool {
        self.0.contains("{side}") || self.0.contains("{other_side}")
    }

    /// The line as spoken, with the language's words for the sides.
    pub fn render(&self, side: Option<Side>, word: impl Fn(Side) -> &'static str) -> String {
        match side {
            None => self.0.clone(),
            Some(side) => self
                .0
                .replace("{other_side}", word(side.other()))
                .replace("{side}", word(side)),
        }
    }
}

/// A sound a routine names: one of ours by name, or a WAV file of the user's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoundRef {
    Builtin(&'static str),
    /// A path, resolved against the routine's folder, and where the routine names it.
    File {
        path: PathBuf,
        loc: Loc,
    },
}

impl SoundRef {
    /// The name written in the plan and the transcript.
    pub fn name(&self) -> String {
        match self {
            SoundRef::Builtin(n) => (*n).to_owned(),
            SoundRef::File { path, .. } => path.display().to_string(),
        }
    }
}

/// Why a routine could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Invalid(Diagnostics),
    #[error(
        "{path}: cannot read the routine: {source}. hint: check the path and that the file is readable"
    )]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn too_big(file: &str, len: u64) -> Diagnostics {
    let map = SourceMap::new(file, "");
    Diagnostics(vec![
        Diagnostic::new(
            map.top(),
            format!(
                "the file is {len} bytes; a routine may be at most {} bytes (1 MiB)",
                limits::MAX_FILE_BYTES
            ),
        )
        .hint("is this the right file? a routine is a short TOML text"),
    ])
}

/// Parses and checks routine text. `file` names the source in diagnostics.
pub fn parse(file: &str, text: &str, origin: Origin) -> Result<Routine, Diagnostics> {
    if text.len() > limits::MAX_FILE_BYTES {
        return Err(too_big(file, text.len() as u64));
    }
    let map = SourceMap::new(file, text);
    let raw: raw::RawRoutine = toml::from_str(text).map_err(|e| validate::toml_error(&map, &e))?;
    validate::routine(&map, raw, origin)
}

/// Reads a routine file from disk.
pub fn load_file(path: &Path) -> Result<Routine, LoadError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|source| LoadError::Io {
        path: shown.clone(),
        source,
    })?;
    if meta.len() > limits::MAX_FILE_BYTES as u64 {
        return Err(LoadError::Invalid(too_big(&shown, meta.len())));
    }
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: shown.clone(),
        source,
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let map = SourceMap::new(shown.as_str(), lossy);
            return Err(LoadError::Invalid(Diagnostics(vec![
                Diagnostic::new(map.loc(valid), "the file is not UTF-8 text")
                    .hint("save the routine as UTF-8"),
            ])));
        }
    };
    parse(&shown, &text, Origin::File(path.to_path_buf())).map_err(LoadError::Invalid)
}
