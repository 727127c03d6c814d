//! The window of the session the deck holds samples for: made from the preparer's timelines
//! around the playing frame, with a voice of its own, so a session's memory does not grow with
//! its length.

use std::sync::Arc;

use crate::error::Error;
use crate::plan::Timeline;
use crate::render::{Program, SoundBank};
use crate::session::{SessionError, Settings};
use crate::voice::{Espeak, PhraseCache};

/// How far a window of the session reaches ahead of the playing frame, and behind it (for
/// "back" and "repeat", which go to the start of a line or an exercise), in seconds; a new
/// window is made when less than half of the reach ahead is left. 80 s of speech are 7 MB of
/// samples: a session's memory does not grow with its length (BENCHMARKS.md).
/// `HIPVOICE_WINDOW_SECS` sets the reach ahead, within `WINDOW_AHEAD_RANGE` (read once with
/// the other settings: [`window_ahead_secs`]).
pub const WINDOW_AHEAD_SECS: f64 = 60.0;
pub const WINDOW_AHEAD_RANGE: (f64, f64) = (10.0, 600.0);

/// The window's reach ahead in seconds from `HIPVOICE_WINDOW_SECS` as written (`None` when
/// unset), with a line for stderr when the value is not taken as written: out of
/// `WINDOW_AHEAD_RANGE` (the nearest end is used) or not a number (the default).
pub fn window_ahead_secs(var: Option<&str>) -> (f64, Option<String>) {
    let (lo, hi) = WINDOW_AHEAD_RANGE;
    let Some(v) = var else {
        return (WINDOW_AHEAD_SECS, None);
    };
    match v.trim().parse::<f64>() {
        Ok(x) if (lo..=hi).contains(&x) => (x, None),
        Ok(x) if x.is_finite() => {
            let near = x.clamp(lo, hi);
            (
                near,
                Some(format!(
                    "hipvoice: HIPVOICE_WINDOW_SECS={} is outside {lo} to {hi}; using {near}.",
                    crate::diag::escape(v)
                )),
            )
        }
        _ => (
            WINDOW_AHEAD_SECS,
            Some(format!(
                "hipvoice: HIPVOICE_WINDOW_SECS={} is not a number of seconds; using {WINDOW_AHEAD_SECS}.",
                crate::diag::escape(v)
            )),
        ),
    }
}
const WINDOW_BEHIND_SECS: f64 = 20.0;
/// The samples the window's voice keeps between windows (1 M, 4 MB): the lines said again
/// and again ("Hold.", counts, reps) are not synthesised anew for every window.
const WINDOW_CACHE_SAMPLES: usize = 1 << 20;

/// The part of the playing timeline the deck holds samples for, made in this thread from the
/// preparer's timelines with a voice of its own at the timeline's speech rate.
pub struct Windows {
    settings: Settings,
    /// The voice, at the speech rate it was made for.
    voice: Option<(u32, PhraseCache)>,
    ahead: u64,
    behind: u64,
    /// Whether the windows carry the lines' samples: false while the system voice says them.
    speech: bool,
}

/// The program the deck plays: a generation's timeline and sounds, and the window of it made
/// last.
pub struct Playing {
    pub timeline: Arc<Timeline>,
    pub bank: SoundBank,
    pub rate_wpm: u32,
    pub complete: bool,
    pub program: Arc<Program>,
    pub span: std::ops::Range<u64>,
}

impl Playing {
    /// Forgets the window held, so the next turn makes a new one where the deck is.
    pub fn renew(&mut self) {
        self.span = 0..0;
    }
}

impl Windows {
    pub fn new(settings: &Settings) -> Windows {
        let rate = crate::voice::espeak::RATE;
        let ahead_secs = settings.window_secs;
        Windows {
            settings: settings.clone(),
            voice: None,
            ahead: crate::plan::frames(ahead_secs, rate),
            behind: crate::plan::frames(WINDOW_BEHIND_SECS.min(ahead_secs), rate),
            speech: true,
        }
    }

    /// Windows with the lines' samples (`true`), or with the sounds only. A change takes effect
    /// with the next window: [`Playing::renew`] asks for one at once.
    pub fn set_speech(&mut self, speech: bool) {
        self.speech = speech;
    }

    /// True when `p` needs a new window at frame `at` (see [`needs_window`]).
    pub fn needs(&self, p: &Playing, at: u64) -> bool {
        needs_window(&p.span, p.timeline.frames, self.ahead, at)
    }

    /// A window of `p`'s timeline around frame `at`.
    pub fn make(&mut self, p: &mut Playing, at: u64) -> Result<(), Error> {
        let span = at.saturating_sub(self.behind)..(at + self.ahead).min(p.timeline.frames);
        if !self.speech {
            let program = Program::sounds_window(&p.timeline, &p.bank, span.clone())
                .map_err(SessionError::from)?;
            p.program = Arc::new(program);
            p.span = span;
            return Ok(());
        }
        if self.voice.as_ref().is_none_or(|(r, _)| *r != p.rate_wpm) {
            let mut settings = self.settings.espeak.clone();
            settings.rate_wpm = p.rate_wpm;
            let v = Espeak::new(settings).map_err(SessionError::from)?;
            self.voice = Some((
                p.rate_wpm,
                PhraseCache::bounded(self.settings.voice(v), WINDOW_CACHE_SAMPLES),
            ));
        }
        let (_, cache) = self.voice.as_mut().expect("made above");
        let program = Program::window(&p.timeline, cache, &p.bank, span.clone())
            .map_err(SessionError::from)?;
        p.program = Arc::new(program);
        p.span = span;
        Ok(())
    }
}

/// True when a deck holding the samples of `span` of a timeline of `frames` frames needs a new
/// window to play frame `at`: outside the span, or less than half of `ahead` before its end
/// (unless it reaches the timeline's end). Never at or past the timeline's end, where there is
/// nothing more to hold.
fn needs_window(span: &std::ops::Range<u64>, frames: u64, ahead: u64, at: u64) -> bool {
    if at >= frames {
        return false;
    }
    if at < span.start || at >= span.end {
        return true;
    }
    span.end < frames && at + ahead / 2 >= span.end
}

#[cfg(test)]
mod tests {
    use super::{WINDOW_AHEAD_SECS, needs_window, window_ahead_secs};

    #[test]
    fn the_window_setting_is_taken_checked_or_said_why_not() {
        assert_eq!(window_ahead_secs(None), (WINDOW_AHEAD_SECS, None));
        assert_eq!(window_ahead_secs(Some(" 30 ")), (30.0, None));
        let (secs, note) = window_ahead_secs(Some("5"));
        assert_eq!(secs, 10.0);
        assert_eq!(
            note.as_deref(),
            Some("hipvoice: HIPVOICE_WINDOW_SECS=5 is outside 10 to 600; using 10.")
        );
        let (secs, note) = window_ahead_secs(Some("soon"));
        assert_eq!(secs, WINDOW_AHEAD_SECS);
        assert!(note.unwrap().contains("is not a number of seconds"));
    }

    #[test]
    fn a_new_window_is_made_outside_the_old_one_or_near_its_end_never_past_the_session() {
        let (frames, ahead) = (10_000, 1000);
        // Nothing held yet, or a jump outside: a new window.
        assert!(needs_window(&(0..0), frames, ahead, 0));
        assert!(needs_window(&(2000..3000), frames, ahead, 1999));
        assert!(needs_window(&(2000..3000), frames, ahead, 3000));
        // Inside, with more than half the reach left: none.
        assert!(!needs_window(&(2000..3000), frames, ahead, 2400));
        // Half the reach left: a new one.
        assert!(needs_window(&(2000..3000), frames, ahead, 2500));
        // A window that reaches the session's end is kept to the end...
        assert!(!needs_window(&(9000..10_000), frames, ahead, 9900));
        // ... and at the end (the opening waiting for the rest) none is made, again and again.
        assert!(!needs_window(&(0..2600), 2600, ahead, 2600));
        assert!(!needs_window(&(9000..10_000), frames, ahead, 10_000));
    }
}
