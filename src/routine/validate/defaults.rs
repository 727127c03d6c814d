//! Defaults for what a routine leaves out. Chosen for people lying on a mat, listening.

pub const SETUP_SECS: f64 = 5.0;
pub const TEMPO_SECS: f64 = 2.0;
pub const REST_BETWEEN_REPS_SECS: f64 = 2.0;
/// Moving reps follow each other: the rep number is the only pause.
pub const REST_BETWEEN_MOVING_REPS_SECS: f64 = 0.0;
pub const REST_BETWEEN_ROUNDS_SECS: f64 = 30.0;
pub const BEAT_SOUND: &str = "tick";
pub const REST_BETWEEN_SIDES_SECS: f64 = 5.0;
pub const REST_BETWEEN_SETS_SECS: f64 = 30.0;
pub const COUNTDOWN: u32 = 3;
pub const START_SOUND: &str = "hold-start";
pub const RELEASE_SOUND: &str = "release";

/// The words of a moving rep's phases when the routine names none, by phase count.
pub fn tempo_words(phases: usize) -> &'static [&'static str] {
    match phases {
        1 => &["Go."],
        2 => &["Up.", "Down."],
        3 => &["Up.", "Hold.", "Down."],
        _ => &["Up.", "Hold.", "Down.", "Rest."],
    }
}
