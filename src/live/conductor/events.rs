//! What the conductor is told ([`Event`]) and what it asks the loop to do ([`Action`]), and how
//! a session ends ([`Ended`]).

use std::sync::Arc;

pub use crate::control::{Command, Playback};
use crate::plan::Timeline;

/// What the conductor is told.
#[derive(Debug, Clone)]
pub enum Event {
    Command(Command),
    /// The deck's position report, a few times per device buffer.
    Tick {
        /// The next frame to be mixed.
        frame: u64,
        /// The mark of the last load or seek the deck has applied (see [`Action::Mark`]): a
        /// report from before the conductor's last move is stale and is ignored.
        mark: u16,
        /// How many overlays have ended so far (see the deck).
        overlays_done: u32,
        /// The cursor is at the end of a complete program.
        finished: bool,
    },
    /// After [`Command::DeviceLost`]: a new output is open, with a new deck playing the
    /// current program (its marks and overlay count start again from zero).
    DeviceBack,
    /// A program is ready to load: the loop holds its samples under `generation`.
    Ready {
        generation: u16,
        timeline: Arc<Timeline>,
        /// No longer program will follow at this rate (false for the session's opening).
        complete: bool,
        /// The speech rate it was made at, words per minute.
        rate_wpm: u32,
    },
}

/// How a session ended. Frames are in the timeline that was playing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    Finished,
    /// The person stopped it (q, Esc, a media client's Stop).
    Stopped {
        at: u64,
        of: u64,
    },
    /// A signal stopped it.
    Interrupted {
        at: u64,
        of: u64,
    },
    /// The audio output was lost and could not be opened again.
    DeviceLost {
        at: u64,
        of: u64,
    },
}

/// What the conductor asks the loop to do. The deck actions of one [`super::Conductor::handle`] call
/// (load, seek, gate, pause, gain, overlay) are applied together, at one frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Play the program of this generation from now on.
    Load {
        generation: u16,
        complete: bool,
    },
    Seek(u64),
    /// Sent with every load and seek: the deck reports it with its position from then on.
    Mark(u16),
    /// Hold the cursor at this frame, or release it (`None`).
    Gate(Option<u64>),
    Pause(bool),
    /// 0.0 to 1.0.
    Gain(f32),
    /// Say this line on the overlay lane (and print it).
    Say(String),
    /// Play this built-in sound on the overlay lane.
    Sound(&'static str),
    /// A transcript line: a planned line as its first frame is played. `instruction` is false
    /// for the lines that only help (count-down numbers, "Hold.", tempo words, time checks);
    /// `at` is the line's first frame.
    Print {
        text: String,
        instruction: bool,
        at: u64,
    },
    /// The media-button status and title ("Knee lifts, left leg").
    Status(Playback, String),
    /// Save this exercise (its id and name) as the place to resume from.
    Save {
        exercise: String,
        name: String,
    },
    /// The session is done: forget the saved place.
    ClearSaved,
    /// The session is now in this step (for the history): `played` when the cursor played
    /// into it from the step before, false when it was moved there (next, back, a resume), so
    /// the rep before it was not played to its end.
    Reached {
        step: crate::plan::step::Step,
        played: bool,
    },
    /// Say the answer to stop, worded from what saving the place (the actions before it) gave:
    /// saved, could not be saved, or nothing to save (see [`Controls::stopping_for`]). An
    /// overlay like [`Action::Say`].
    ///
    /// [`Controls::stopping_for`]: crate::phrases::Controls::stopping_for
    SayStopping,
    /// Prepare the session again at this speech rate (words per minute).
    Replan(u32),
    End(Ended),
}
