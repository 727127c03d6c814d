//! The timeline: a routine turned into cues at exact frames at one sample rate. Pure: no I/O, no
//! clock. Live playback and file export both play these frames.
//!
//! Invariants of a [`Timeline`] (checked by tests and property tests):
//! - cues are sorted by `start`; `end` is exclusive; every cue ends by `frames`;
//! - speech never overlaps speech, and never overlaps a sound;
//! - every hold has a sound cue starting at its `start` frame and one at its `end` frame;
//! - `step` cues tile `0..frames` with no gap and no overlap: the session is the sum of its steps.

pub mod check;
mod sequencer;
pub mod step;

use serde::{Deserialize, Serialize};

pub use sequencer::{Pacing, PlanError, PlanOptions, SpeechTimer, plan};
pub use step::Step;

use crate::routine::{Dose, Side, SidesAre};

/// Frames from seconds at a rate, rounded to the nearest frame. The only place seconds become frames.
pub fn frames(secs: f64, rate: u32) -> u64 {
    (secs * f64::from(rate)).round().max(0.0) as u64
}

/// Seconds from frames, for display only.
pub fn secs(frames: u64, rate: u32) -> f64 {
    frames as f64 / f64::from(rate)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum CueKind {
    /// A span over the steps of one exercise (a chapter).
    Exercise,
    /// A part of the session that next, back and repeat move between; steps tile the timeline.
    Step,
    /// Time to get into position (the lead-in and each exercise's setup).
    Prepare,
    /// Time to move into the position before a hold, or back after it.
    Move,
    Hold,
    /// A timed block of continuous movement (march, walk): bracketed by sounds like a hold.
    Timed,
    /// One phase of a moving rep's tempo ("Up", three seconds); its text is the phase's word.
    Phase,
    Rest,
    Sound,
    Speech,
}

impl CueKind {
    /// Kinds that are spans of the person's time (getting ready, moving, holding, a timed
    /// block, a tempo phase, resting): they follow each other and never overlap.
    pub fn is_window(self) -> bool {
        matches!(
            self,
            CueKind::Prepare
                | CueKind::Move
                | CueKind::Hold
                | CueKind::Timed
                | CueKind::Phase
                | CueKind::Rest
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CueKind::Exercise => "exercise",
            CueKind::Step => "step",
            CueKind::Prepare => "prepare",
            CueKind::Move => "move",
            CueKind::Hold => "hold",
            CueKind::Timed => "timed",
            CueKind::Phase => "phase",
            CueKind::Rest => "rest",
            CueKind::Sound => "sound",
            CueKind::Speech => "speech",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SideName {
    Left,
    Right,
}

impl SideName {
    pub fn as_str(&self) -> &'static str {
        match self {
            SideName::Left => "left",
            SideName::Right => "right",
        }
    }
}

impl From<SideName> for Side {
    fn from(s: SideName) -> Self {
        match s {
            SideName::Left => Side::Left,
            SideName::Right => Side::Right,
        }
    }
}

impl From<Side> for SideName {
    fn from(s: Side) -> Self {
        match s {
            Side::Left => SideName::Left,
            Side::Right => SideName::Right,
        }
    }
}

/// One cue: `start..end` in frames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cue {
    pub kind: CueKind,
    pub start: u64,
    pub end: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<SideName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep: Option<u32>,
    /// The round of a circuit this cue belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// On `step` cues only: the step's stable id, the same at any speech rate and in a
    /// resumed session (see [`Step`]). In JSON it is a string: `start`, `end`,
    /// `EXERCISE/setup`, `EXERCISE/set-N/rep-R`, `EXERCISE/set-N/SIDE/rep-R`,
    /// `EXERCISE/set-N/switch-SIDE`, `EXERCISE/set-N/rest`, `EXERCISE/rest-after`, and in a
    /// circuit `EXERCISE/round-K/...` and `CIRCUIT/round-K/rest`. A position survives
    /// replanning by this id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
    /// On speech cues only: a line said only when the session is played live, never in a
    /// rendered file (a key hint, the saved place: [`PlanOptions::notes`]). In JSON only when
    /// true: `"live_only": true`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub live_only: bool,
    /// On `exercise` cues only: `directions` where both legs move together and a side is a
    /// direction ("to the left"); in JSON only then.
    #[serde(default, skip_serializing_if = "SidesAre::is_legs")]
    pub sides_are: SidesAre,
}

impl Cue {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    pub fn overlaps(&self, other: &Cue) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// A whole session at exact frames. See the module doc for its invariants.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub routine: String,
    pub sample_rate: u32,
    pub frames: u64,
    pub cues: Vec<Cue>,
    /// Every exercise's dose: the value this session plays and the range the routine allows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub doses: Vec<PlannedDose>,
}

/// An exercise's dose as planned. Each [`Dose`] is `{value, min, max}`: `value` is what this
/// session plays (the range's start), `min..=max` the routine's range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedDose {
    pub exercise: String,
    /// "hold", "reps" or "timed".
    pub kind: String,
    /// Reps per side (or in all); absent for a timed exercise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reps: Option<Dose<u32>>,
    pub sets: Dose<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_secs: Option<Dose<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<Dose<f64>>,
    /// Seconds of each phase of a moving rep.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tempo: Vec<f64>,
    /// The circuit the exercise belongs to, and its rounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<Dose<u32>>,
    /// Why the reps are what they are today, when the person's history chose them
    /// ("eased from 10: ...", "climbed from 8: ...", "kept: the last session's dose").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Timeline {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a timeline always serialises")
    }

    pub fn of_kind(&self, kind: CueKind) -> impl Iterator<Item = &Cue> {
        self.cues.iter().filter(move |c| c.kind == kind)
    }
}
