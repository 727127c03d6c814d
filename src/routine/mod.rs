//! Routines: TOML files turned into a checked [`Routine`]. No time, no audio.
//!
//! A routine is read in two steps: serde reads the file into `raw` structures that keep every
//! value's span, then `validate` checks each value and reports every problem it finds as a
//! `file:line:col` diagnostic with a hint. A `Routine` that comes out of here is within all limits.

mod builtin;
pub mod catalog;
mod raw;
pub mod schema;
mod toml_errors;
mod validate;

pub use toml_errors::{nearest, toml_error};
pub use validate::lint;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use builtin::{BUILTIN, builtin_source};

use crate::diag::{Diagnostic, Diagnostics, Loc, SourceMap};

/// Limits against absurd input. Each is a clear error, never a crash or a four-day session.
pub mod limits {
    /// The largest routine file read.
    pub const MAX_FILE_BYTES: usize = 1024 * 1024;
    pub const MAX_HOLD_SECS: f64 = 600.0;
    /// The shortest hold: below this the start and release sounds run into each other.
    pub const MIN_HOLD_SECS: f64 = 0.5;
    pub const MAX_DURATION_SECS: f64 = 3600.0;
    /// A timed block shorter than this is a hold.
    pub const MIN_DURATION_SECS: f64 = 5.0;
    /// Phases of one moving rep (up, pause, down, pause).
    pub const MAX_PHASES: usize = 4;
    pub const MIN_PHASE_SECS: f64 = 0.5;
    pub const MAX_PHASE_SECS: f64 = 30.0;
    pub const MAX_ROUNDS: i64 = 20;
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

/// Why an exercise plays the dose it plays today, when the person's history chose it
/// (`history::dose`): written in `plan --json` and `show`, and said after the dose line when
/// it changed.
#[derive(Debug, Clone, PartialEq)]
pub struct DoseNote {
    /// For reading: "eased from 10: the pain lasted over 1 hour after the last session".
    pub reason: String,
    /// The dose it changed from (the last session's), when it changed.
    pub from: Option<u32>,
    /// For the ear, when the dose changed: "Last time, the pain lasted over one hour. Today,
    /// seven instead of ten."
    pub said: Option<String>,
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
    /// Said before the lead-in: where to get (on the floor, on your back).
    pub lead_in: Vec<Text>,
    /// No spoken time checks anywhere (`quiet = true`).
    pub quiet: bool,
    pub exercises: Vec<Exercise>,
    pub circuits: Vec<Circuit>,
    pub origin: Origin,
    /// The file name used in diagnostics (`routines/stretch.toml` for built-ins).
    pub source_name: Arc<str>,
    /// What a listener would stumble on (symbols, shorthand, wording that needs eyes, long
    /// lines): `file:line:col: warning: ...`, in file order. Not errors: the routine plays.
    pub warnings: Vec<Diagnostic>,
    /// Every text the routine speaks (its title, names and lines), as written with its
    /// `{side}` placeholders, and where it is written: to name the place of a line the voice
    /// cannot say ([`Routine::where_said`]).
    pub spoken: Vec<(String, crate::diag::Loc)>,
}

impl Routine {
    /// Where the text that became the spoken line `said` is written: the longest of
    /// [`Routine::spoken`] whose words around its placeholders all appear in `said`, in order
    /// ("Lift your {side} leg." for "Lift your left leg."). `None` for a line of hipvoice's own.
    pub fn where_said(&self, said: &str) -> Option<&crate::diag::Loc> {
        let fits = |template: &str| {
            let mut rest = said;
            for part in template.split(['{', '}']).step_by(2) {
                match rest.find(part) {
                    Some(i) => rest = &rest[i + part.len()..],
                    None => return false,
                }
            }
            true
        };
        self.spoken
            .iter()
            .filter(|(t, _)| !t.is_empty() && fits(t))
            .max_by_key(|(t, _)| t.len())
            .map(|(_, at)| at)
    }

    /// The session's parts in order: exercises in file order, a circuit in the place of its
    /// first exercise.
    pub fn blocks(&self) -> Vec<Block> {
        let mut out = Vec::new();
        for i in 0..self.exercises.len() {
            match self.circuits.iter().position(|c| c.exercises.contains(&i)) {
                None => out.push(Block::Exercise(i)),
                Some(c) => {
                    if !out.contains(&Block::Circuit(c)) {
                        out.push(Block::Circuit(c));
                    }
                }
            }
        }
        out
    }

    /// Each exercise's number as the session says it ("Exercise 2 of 4"): its place in the
    /// order exercises are first played (a circuit's in its own order), 1-based, by index.
    pub fn numbers(&self) -> Vec<usize> {
        let mut order = Vec::new();
        for b in self.blocks() {
            match b {
                Block::Exercise(i) => order.push(i),
                Block::Circuit(c) => order.extend(&self.circuits[c].exercises),
            }
        }
        let mut numbers = vec![0; self.exercises.len()];
        for (k, &i) in order.iter().enumerate() {
            numbers[i] = k + 1;
        }
        numbers
    }
}

/// The article's rule: pain that lasts longer than this after a session means fewer repetitions.
#[derive(Debug, Clone, PartialEq)]
pub struct PainRule {
    pub after_hours: f64,
    pub advice: String,
}

/// What kind of work an exercise is. Physiotherapy programs mix all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Move into a position and hold it still (a stretch, an isometric squeeze): the hold sits
    /// between the start and the release sound.
    Hold,
    /// Moving reps with no hold (heel slides, squats, clams): each rep is paced by `tempo`,
    /// counted aloud or beaten.
    Reps,
    /// Continuous movement for a length of time (march on the spot, walk), with time checks.
    Timed,
}

impl Kind {
    pub const NAMES: [&'static str; 3] = ["hold", "reps", "timed"];

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "hold" => Some(Kind::Hold),
            "reps" => Some(Kind::Reps),
            "timed" => Some(Kind::Timed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        Kind::NAMES[self as usize]
    }
}

/// A dose that may be a range, as home-exercise sheets write it ("8-12 reps", "hold 5-10 s").
/// The session plays `value`: the range's start (its minimum unless the routine chose another
/// start). The progress feature moves it within `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dose<T> {
    pub value: T,
    pub min: T,
    pub max: T,
}

impl<T: Copy + PartialOrd> Dose<T> {
    pub fn fixed(value: T) -> Dose<T> {
        Dose {
            value,
            min: value,
            max: value,
        }
    }

    pub fn is_range(&self) -> bool {
        self.min != self.max
    }
}

/// How the seconds of a moving rep are marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Each phase's word on its first second, then the seconds counted: "Up, two, three."
    Count,
    /// Each phase's word on its first second, then a soft beat on every other second.
    Beat,
}

impl Pace {
    pub const NAMES: [&'static str; 2] = ["count", "beat"];
}

/// One phase of a moving rep's tempo: its word ("Up") and its length in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    pub word: Text,
    pub secs: f64,
}

/// Which side comes first when an exercise works both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstSide {
    Left,
    Right,
    /// The person's affected (painful, operated) side, from the config or `--side`.
    Affected,
    /// The other one.
    Unaffected,
}

impl FirstSide {
    pub const NAMES: [&'static str; 4] = ["left", "right", "affected", "unaffected"];

    pub fn parse(s: &str) -> Option<FirstSide> {
        match s {
            "left" => Some(FirstSide::Left),
            "right" => Some(FirstSide::Right),
            "affected" => Some(FirstSide::Affected),
            "unaffected" => Some(FirstSide::Unaffected),
            _ => None,
        }
    }

    /// The side this names, given the person's affected side; `None` when it depends on an
    /// affected side that is not known.
    pub fn resolve(self, affected: Option<Side>) -> Option<Side> {
        match self {
            FirstSide::Left => Some(Side::Left),
            FirstSide::Right => Some(Side::Right),
            FirstSide::Affected => affected,
            FirstSide::Unaffected => affected.map(Side::other),
        }
    }

    pub fn depends_on_affected(self) -> bool {
        matches!(self, FirstSide::Affected | FirstSide::Unaffected)
    }
}

#[derive(Debug, Clone)]
pub struct Exercise {
    /// Today's dose when the history chose it (see `history::dose`): `None` as read from the
    /// file.
    pub dose_note: Option<DoseNote>,
    pub id: String,
    pub name: String,
    pub kind: Kind,
    /// Said once with the setup, before it: what to watch out for in this exercise.
    pub caution: Vec<Text>,
    /// How to get into position; said once before the first rep.
    pub setup: Vec<Text>,
    pub setup_secs: f64,
    /// The whole movement, said once before the exercise's first rep.
    pub cue: Vec<Text>,
    /// Said before every later rep: one to three words ("Lift."). `None` lets the sequencer
    /// derive one ("Again.", "Left leg.").
    pub short_cue: Option<Vec<Text>>,
    /// Technique reminders said inside holds and timed blocks where they fit, one at a time,
    /// in turn ("Keep your back flat.").
    pub technique: Vec<Text>,
    /// Said after every hold or timed block: how to come back.
    pub release: Vec<Text>,
    /// Said when the side changes; `None` takes the language's "switch to your right leg".
    pub switch: Option<Vec<Text>>,
    pub sides: Sides,
    /// What a side is: the leg that works, or the direction both legs move in.
    pub sides_are: SidesAre,
    /// Which side is worked first; `None` is left (or the order `sides` names).
    pub first_side: Option<FirstSide>,
    /// Reps per side (or in all, for `Sides::None`). 1 for a timed exercise.
    pub reps: Dose<u32>,
    pub sets: Dose<u32>,
    /// The hold, for `Kind::Hold`; 0 for other kinds.
    pub hold_secs: Dose<f64>,
    /// The length of a timed block, for `Kind::Timed`; 0 for other kinds.
    pub duration_secs: Dose<f64>,
    /// The phases of one moving rep, for `Kind::Reps`; empty for other kinds.
    pub tempo: Vec<Phase>,
    pub pace: Pace,
    /// Seconds to move into the held position after the cue, and the same to come back.
    pub tempo_secs: f64,
    pub rest_between_reps_secs: f64,
    pub rest_between_sides_secs: f64,
    pub rest_between_sets_secs: f64,
    /// Rest after the exercise, before the next one.
    pub rest_after_secs: f64,
    /// The last seconds of each hold or timed block counted aloud; 0 for none.
    pub countdown: u32,
    pub start_sound: SoundRef,
    pub release_sound: SoundRef,
    /// The soft beat of `Pace::Beat`.
    pub beat_sound: SoundRef,
    /// Spoken time checks where a hold, rest or block would otherwise be silent for more than
    /// 30 s ("Thirty seconds left."). Off with `time_checks = false` or the routine's `quiet`.
    pub time_checks: bool,
}

/// A group of exercises done one after the other, for a number of rounds.
#[derive(Debug, Clone)]
pub struct Circuit {
    pub id: String,
    /// Spoken when the circuit starts; `None` says just "Circuit".
    pub name: Option<String>,
    /// Indices into `Routine::exercises`, in the order they are done.
    pub exercises: Vec<usize>,
    pub rounds: Dose<u32>,
    pub rest_between_rounds_secs: f64,
}

/// A part of a session in order: one exercise, or a circuit of several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// An index into `Routine::exercises`.
    Exercise(usize),
    /// An index into `Routine::circuits`.
    Circuit(usize),
}

/// Which sides an exercise works, and in what order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sides {
    None,
    /// All reps on one side, then all on the other. Which first: `Exercise::first_side`.
    Both,
    /// One rep each side per round, starting with `Exercise::first_side`.
    Alternating,
}

impl Sides {
    pub const NAMES: [&'static str; 5] = [
        "none",
        "both",
        "left-then-right",
        "right-then-left",
        "alternating",
    ];

    /// The sides and, for the two older names, the first side they imply.
    pub fn parse(s: &str) -> Option<(Sides, Option<FirstSide>)> {
        match s {
            "none" => Some((Sides::None, None)),
            "both" => Some((Sides::Both, None)),
            "left-then-right" => Some((Sides::Both, Some(FirstSide::Left))),
            "right-then-left" => Some((Sides::Both, Some(FirstSide::Right))),
            "alternating" => Some((Sides::Alternating, None)),
            _ => None,
        }
    }
}

/// What an exercise's sides are, for the lines hipvoice writes itself ("Switch to your right
/// leg." or "Now to the right.") and the answer to "where am I".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SidesAre {
    /// One leg works, then the other (knee lifts): the default.
    #[default]
    Legs,
    /// Both legs move together, to one side and then the other (a hip rotation).
    Directions,
}

impl SidesAre {
    pub const NAMES: [&'static str; 2] = ["legs", "directions"];

    /// The side in the answer to "where am I" and the media title, in `ctl`'s language.
    pub fn where_side(self, ctl: &crate::phrases::Controls) -> &'static str {
        match self {
            SidesAre::Legs => ctl.where_side,
            SidesAre::Directions => ctl.where_direction,
        }
    }

    /// The switch line hipvoice writes when the routine writes none.
    pub fn switch(self, ph: &crate::phrases::Phrases) -> &'static str {
        match self {
            SidesAre::Legs => ph.switch,
            SidesAre::Directions => ph.switch_direction,
        }
    }

    /// The short cue of a rep that changes side, when the routine writes none.
    pub fn short_side(self, ph: &crate::phrases::Phrases) -> &'static str {
        match self {
            SidesAre::Legs => ph.short_side,
            SidesAre::Directions => ph.short_direction,
        }
    }

    /// "Start with your left leg." or, for directions, "Start to the left."
    pub fn start_side(self, ph: &crate::phrases::Phrases) -> &'static str {
        match self {
            SidesAre::Legs => ph.start_side,
            SidesAre::Directions => ph.start_direction,
        }
    }

    pub fn is_legs(&self) -> bool {
        *self == SidesAre::Legs
    }

    pub fn parse(s: &str) -> Option<SidesAre> {
        match s {
            "legs" => Some(SidesAre::Legs),
            "directions" => Some(SidesAre::Directions),
            _ => None,
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

    /// The side as the voice says it in `ph`'s language ("left", "right").
    pub fn word(self, ph: &crate::phrases::Phrases) -> &'static str {
        match self {
            Side::Left => ph.left,
            Side::Right => ph.right,
        }
    }
}

/// A spoken line. It may name the side being worked, `{side}`, and the other one, `{other_side}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    pub const PLACEHOLDERS: [&'static str; 3] = ["side", "other_side", "Side"];

    /// A line the sequencer writes from a phrase (a derived short cue).
    pub fn derived(template: &str) -> Text {
        Text(template.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn names_side(&self) -> bool {
        self.0.contains("{side}") || self.0.contains("{other_side}") || self.0.contains("{Side}")
    }

    /// The line as spoken, with the language's words for the sides.
    pub fn render(&self, side: Option<Side>, word: impl Fn(Side) -> &'static str) -> String {
        match side {
            None => self.0.clone(),
            Some(side) => self
                .0
                .replace("{other_side}", word(side.other()))
                .replace("{side}", word(side))
                .replace("{Side}", &crate::phrases::capitalise(word(side))),
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
    /// No file, routine of the person's or built-in routine has this name.
    #[error(
        "there is no routine called \"{name}\". hint: {}",
        match nearest {
            Some(best) => format!("did you mean \"{best}\"? `hipvoice list` shows them all"),
            None => "`hipvoice list` shows the routines; a file needs its path, like ./mine.toml".to_owned(),
        }
    )]
    Unknown {
        name: String,
        nearest: Option<String>,
    },
}

fn too_big(file: &str, len: u64) -> Diagnostics {
    let map = SourceMap::new(file, "");
    let size = if len > limits::MAX_FILE_BYTES as u64 {
        format!("the file is {len} bytes")
    } else {
        "the file is too long".to_owned()
    };
    Diagnostics(vec![
        Diagnostic::new(
            map.top(),
            format!(
                "{size}; a routine may be at most {} bytes (1 MiB)",
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
    let (raw, problems, header_broken) = raw::read(&map);
    if header_broken {
        return Err(Diagnostics(problems));
    }
    validate::routine(&map, raw, problems, origin)
}

/// Reads a routine file from disk: a regular file of at most [`limits::MAX_FILE_BYTES`].
pub fn load_file(path: &Path) -> Result<Routine, LoadError> {
    let shown = path.display().to_string();
    let bytes = match crate::files::read_limited(path, limits::MAX_FILE_BYTES as u64) {
        Ok(b) => b,
        Err(crate::files::ReadError::TooBig { .. }) => {
            let len = std::fs::metadata(path).map_or(0, |m| m.len());
            return Err(LoadError::Invalid(too_big(&shown, len)));
        }
        Err(crate::files::ReadError::Io(source)) => {
            return Err(LoadError::Io {
                path: shown,
                source,
            });
        }
        Err(e @ crate::files::ReadError::NotAFile(_)) => {
            return Err(LoadError::Io {
                path: shown,
                source: std::io::Error::other(e.to_string()),
            });
        }
    };
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
