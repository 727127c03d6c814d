//! Pacing the system voice along the timeline. The system voice cannot render into samples,
//! so the deck plays the sounds and silence where the lines are, and this hands each planned
//! line to the voice when the cursor plays into it. Its slot is the embedded voice's length of
//! the same line at the same rate: an estimate. When the voice outlasts it, the cursor is held
//! at the next audible cue (a gate) until the utterance ends, always with a timeout.
//!
//! Rules (tested below):
//! - A line outside a hold is spoken when the cursor passes its first frame; the cursor waits
//!   at the next line or sound until the voice says it has ended. So no speech covers a
//!   sound: a hold's start sound waits for "Hold." to end, and a hold still lasts exactly its
//!   frames between its sounds.
//! - A line inside a hold, a timed block or a tempo phase (the count-down, the tempo words)
//!   never holds the cursor: it is said when the voice is free and there is time for it (its
//!   estimated length before the window's end), and left out otherwise, never shifted. One
//!   still speaking when its window ends is stopped.
//! - A spoken answer (pause, where am I, help) cuts the voice; the cursor waits at the next
//!   audible cue until it ends.
//! - The estimate learns: the ratio of heard to planned length of the lines said so far
//!   scales the estimates and the timeouts.
//! - No report of a handed line within [`SPEAK_TIMEOUT`], or no end within twice its estimate
//!   and [`END_GRACE`]: the voice is lost ([`Lost`]), and the session goes on with the
//!   embedded voice.
//! - A daemon killed or stopped mid-line is seen sooner: it is looked at before a line is
//!   handed over and every [`CHECK_EVERY`] while one is said ([`Speaker::check`]); a line
//!   not handed over counts as left out, so the transcript does not print it as said.

use std::time::{Duration, Instant};

use crate::plan::{CueKind, Timeline};
use crate::voice::system::{Heard, SPEAK_TIMEOUT};

/// What an end may take beyond twice its estimate: speech-dispatcher reports an end 0.3 to
/// 0.4 s after the last audible sample (measured), and a daemon under load more.
pub const END_GRACE: Duration = Duration::from_secs(3);

/// While a line is being said, how often the daemon is looked at ([`Speaker::check`]): a
/// killed or stopped daemon never reports the end, and waiting for the timeout would leave
/// seconds of silence.
pub const CHECK_EVERY: Duration = Duration::from_millis(400);

/// What speaks: the system voice, or a recording of calls in tests.
pub trait Speaker {
    /// Says `text`, cutting anything being said; returns its token.
    fn speak(&mut self, text: &str) -> u64;
    fn stop(&mut self);
    /// Whether the voice can still speak: `Err` with why when it cannot.
    fn check(&mut self) -> Result<(), String>;
}

impl Speaker for crate::voice::system::SystemVoice {
    fn speak(&mut self, text: &str) -> u64 {
        crate::voice::system::SystemVoice::speak(self, text)
    }
    fn stop(&mut self) {
        crate::voice::system::SystemVoice::stop(self)
    }
    fn check(&mut self) -> Result<(), String> {
        crate::voice::system::SystemVoice::check(self)
    }
}

/// Why the system voice was given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost(pub String);

#[derive(Debug, Clone)]
struct Line {
    start: u64,
    /// Frames the embedded voice takes to say it: the slot planned.
    len: u64,
    text: String,
    /// The end of the hold, timed block or tempo phase it is said in.
    within: Option<u64>,
    /// The first line or sound after its start.
    next_audible: u64,
}

#[derive(Debug, Clone)]
struct Speaking {
    token: u64,
    /// The planned line, or `None` for an answer.
    line: Option<usize>,
    since: Instant,
    queued: bool,
    /// How long it should take (the learned estimate).
    expect: Duration,
}

/// The system voice's place in a timeline: which line comes next, what is being said.
pub struct Pacer {
    rate: u32,
    lines: Vec<Line>,
    audible: Vec<u64>,
    frames: u64,
    next: usize,
    speaking: Option<Speaking>,
    /// Heard length over planned length, learned from the lines said (1.0 at first).
    ratio: f64,
    /// Lines left out (inside a hold, no time for them), for `--verbose`.
    pub left_out: u32,
    /// The first frames of the lines left out lately (bounded), so that they are not
    /// printed as said.
    left_out_at: Vec<u64>,
    /// When the daemon was last looked at while a line was being said.
    checked: Option<Instant>,
}

impl Pacer {
    pub fn new(t: &Timeline) -> Pacer {
        let windows: Vec<(u64, u64)> = t
            .cues
            .iter()
            .filter(|c| matches!(c.kind, CueKind::Hold | CueKind::Timed | CueKind::Phase))
            .map(|c| (c.start, c.end))
            .collect();
        let mut audible: Vec<u64> = t
            .cues
            .iter()
            .filter(|c| matches!(c.kind, CueKind::Speech | CueKind::Sound))
            .map(|c| c.start)
            .collect();
        audible.sort_unstable();
        audible.dedup();
        let lines = t
            .cues
            .iter()
            .filter(|c| c.kind == CueKind::Speech)
            .map(|c| {
                let i = audible.partition_point(|&s| s <= c.start);
                Line {
                    start: c.start,
                    len: c.len(),
                    text: c.text.clone().unwrap_or_default(),
                    within: windows
                        .iter()
                        .find(|(s, e)| *s <= c.start && c.start < *e)
                        .map(|w| w.1),
                    next_audible: audible.get(i).copied().unwrap_or(t.frames),
                }
            })
            .collect();
        Pacer {
            rate: t.sample_rate,
            lines,
            audible,
            frames: t.frames,
            next: 0,
            speaking: None,
            ratio: 1.0,
            left_out: 0,
            left_out_at: Vec::new(),
            checked: None,
        }
    }

    fn estimate(&self, frames: u64) -> Duration {
        Duration::from_secs_f64(frames as f64 / f64::from(self.rate) * self.ratio)
    }

    fn say(
        &mut self,
        sp: &mut dyn Speaker,
        text: &str,
        line: Option<usize>,
        est: u64,
        now: Instant,
    ) {
        let token = sp.speak(text);
        self.speaking = Some(Speaking {
            token,
            line,
            since: now,
            queued: false,
            expect: self.estimate(est),
        });
    }

    /// The cursor was moved to `to` (a seek, a new plan): a planned line being said is cut,
    /// and the next line is the first at or after `to`.
    pub fn moved(&mut self, to: u64, sp: &mut dyn Speaker) {
        if self.speaking.as_ref().is_some_and(|s| s.line.is_some()) {
            sp.stop();
            self.speaking = None;
        }
        self.next = self.lines.partition_point(|l| l.start < to);
    }

    /// A spoken answer, cutting what the voice says; `frames` is the embedded voice's length
    /// of it (the estimate).
    pub fn answer(&mut self, text: &str, frames: u64, now: Instant, sp: &mut dyn Speaker) {
        self.say(sp, text, None, frames, now);
    }

    /// What the voice reported.
    pub fn heard(&mut self, h: &Heard, now: Instant) -> Result<(), Lost> {
        match h {
            Heard::Failed(why) => return Err(Lost(why.clone())),
            Heard::Queued(t) => {
                if let Some(s) = self.speaking.as_mut().filter(|s| s.token == *t) {
                    s.queued = true;
                }
            }
            Heard::Ended(t) => {
                if let Some(s) = self.speaking.take_if(|s| s.token == *t)
                    && let Some(i) = s.line
                {
                    let planned = self.lines[i].len as f64 / f64::from(self.rate);
                    let heard = now.saturating_duration_since(s.since).as_secs_f64();
                    if planned > 0.2 {
                        let r = (heard / planned).clamp(0.3, 4.0);
                        self.ratio = 0.7 * self.ratio + 0.3 * r;
                    }
                }
            }
        }
        Ok(())
    }

    /// One turn at cursor frame `at`: hands over the line the cursor has played into, stops
    /// one whose window is over, and returns the frame the cursor must wait at (`None`: no
    /// need). Errors: the voice stopped answering (see the module doc).
    pub fn turn(
        &mut self,
        at: u64,
        now: Instant,
        sp: &mut dyn Speaker,
    ) -> Result<Option<u64>, Lost> {
        if let Some(&Speaking {
            since,
            queued,
            expect,
            ..
        }) = self.speaking.as_ref()
        {
            let waited = now.saturating_duration_since(since);
            self.look(Some(since), now, sp)?;
            if !queued && waited > SPEAK_TIMEOUT {
                return Err(Lost(format!(
                    "speech-dispatcher took more than {:.1} s to take a line",
                    SPEAK_TIMEOUT.as_secs_f64()
                )));
            }
            if waited > expect * 2 + END_GRACE {
                return Err(Lost(format!(
                    "speech-dispatcher did not finish a line within {:.1} s",
                    waited.as_secs_f64()
                )));
            }
        }
        // The lines the cursor has played into (at least one frame of each).
        let first = self.next;
        while self.next < self.lines.len() && self.lines[self.next].start < at {
            self.next += 1;
        }
        if self.next > first {
            let i = self.next - 1;
            // A line is never handed to a daemon that is gone. One outside a hold counts as
            // left out (not printed): the conductor says it again from its start after the
            // switch. One inside a hold is not: the built-in voice's window, made at once,
            // says it where it is.
            if let Err(lost) = self.look(None, now, sp) {
                if self.lines[i].within.is_none() {
                    self.leave_out(i);
                }
                return Err(lost);
            }
            let l = &self.lines[i];
            match l.within {
                Some(end) => {
                    let fits = at + (l.len as f64 * self.ratio) as u64 <= end;
                    if self.speaking.is_none() && fits {
                        let (text, len) = (l.text.clone(), l.len);
                        self.say(sp, &text, Some(i), len, now);
                    } else {
                        self.leave_out(i);
                    }
                }
                None => {
                    let (text, len) = (l.text.clone(), l.len);
                    self.say(sp, &text, Some(i), len, now);
                }
            }
        }
        // A line inside a window stops with it.
        if let Some(s) = &self.speaking
            && let Some(i) = s.line
            && let Some(end) = self.lines[i].within
            && at >= end
        {
            sp.stop();
            self.speaking = None;
        }
        let mut gate = None;
        if let Some(s) = &self.speaking {
            gate = match s.line {
                Some(i) if self.lines[i].within.is_none() => Some(self.lines[i].next_audible),
                Some(_) => None,
                None => Some(self.next_audible_from(at)),
            };
        }
        // The next line must not be passed before it is handed over.
        if let Some(l) = self.lines.get(self.next)
            && l.within.is_none()
        {
            gate = Some(gate.map_or(l.next_audible, |g: u64| g.min(l.next_audible)));
        }
        Ok(gate)
    }

    /// Looks at the daemon ([`Speaker::check`]) when it was last looked at [`CHECK_EVERY`]
    /// or more ago (and not since `since`, the start of the line being said, if any).
    fn look(
        &mut self,
        since: Option<Instant>,
        now: Instant,
        sp: &mut dyn Speaker,
    ) -> Result<(), Lost> {
        let last = match (self.checked, since) {
            (Some(c), Some(s)) => Some(c.max(s)),
            (c, s) => c.or(s),
        };
        if last.is_some_and(|l| now.saturating_duration_since(l) < CHECK_EVERY) {
            return Ok(());
        }
        self.checked = Some(now);
        sp.check().map_err(Lost)
    }

    fn leave_out(&mut self, i: usize) {
        self.left_out += 1;
        if self.left_out_at.len() >= 64 {
            self.left_out_at.drain(..32);
        }
        self.left_out_at.push(self.lines[i].start);
    }

    fn next_audible_from(&self, at: u64) -> u64 {
        let i = self.audible.partition_point(|&s| s < at);
        self.audible.get(i).copied().unwrap_or(self.frames)
    }

    /// Whether the line whose first frame is `start` has been dealt with: handed over, left
    /// out or passed by a seek.
    pub fn decided(&self, start: u64) -> bool {
        self.lines.get(self.next).is_none_or(|l| l.start > start)
    }

    /// Whether the line whose first frame is `start` was left out lately.
    pub fn was_left_out(&self, start: u64) -> bool {
        self.left_out_at.contains(&start)
    }

    /// Whether the voice is saying something now.
    pub fn is_speaking(&self) -> bool {
        self.speaking.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Cue;

    #[derive(Default)]
    struct Calls {
        said: Vec<String>,
        stops: u32,
        checks: u32,
        /// What `check` says: the daemon is gone.
        gone: Option<String>,
    }

    impl Speaker for Calls {
        fn speak(&mut self, text: &str) -> u64 {
            self.said.push(text.to_owned());
            self.said.len() as u64
        }
        fn stop(&mut self) {
            self.stops += 1;
        }
        fn check(&mut self) -> Result<(), String> {
            self.checks += 1;
            self.gone.clone().map_or(Ok(()), Err)
        }
    }

    fn cue(kind: CueKind, start: u64, end: u64, text: Option<&str>) -> Cue {
        Cue {
            kind,
            start,
            end,
            text: text.map(str::to_owned),
            sound: (kind == CueKind::Sound).then(|| "start".to_owned()),
            exercise: None,
            side: None,
            set: None,
            rep: None,
            round: None,
            step: None,
            live_only: false,
            sides_are: Default::default(),
        }
    }

    /// At 100 frames a second: "Lie down." 0-1 s, "Hold." 2-2.5 s, a hold 3-8 s with its sounds,
    /// "Two." at 6 s and "One." at 7 s, "Done." at 9 s.
    fn timeline() -> Timeline {
        let mut cues = vec![
            cue(CueKind::Speech, 0, 100, Some("Lie down.")),
            cue(CueKind::Speech, 200, 250, Some("Hold.")),
            cue(CueKind::Sound, 300, 310, None),
            cue(CueKind::Hold, 300, 800, None),
            cue(CueKind::Speech, 600, 650, Some("Two.")),
            cue(CueKind::Speech, 700, 750, Some("One.")),
            cue(CueKind::Sound, 800, 810, None),
            cue(CueKind::Speech, 900, 960, Some("Done.")),
        ];
        cues.sort_by_key(|c| c.start);
        Timeline {
            routine: "t".into(),
            sample_rate: 100,
            frames: 1000,
            cues,
            doses: vec![],
        }
    }

    #[test]
    fn a_line_is_spoken_as_the_cursor_plays_into_it_and_holds_the_next_sound_until_it_ends() {
        let mut p = Pacer::new(&timeline());
        let mut sp = Calls::default();
        let t0 = Instant::now();
        // At the very first frame, nothing has been played yet: nothing said, and the cursor
        // may not pass "Hold." before "Lie down." has been handed over.
        assert_eq!(p.turn(0, t0, &mut sp), Ok(Some(200)));
        assert!(sp.said.is_empty());
        assert_eq!(p.turn(2, t0, &mut sp), Ok(Some(200)));
        assert_eq!(sp.said, ["Lie down."]);
        p.heard(&Heard::Queued(1), t0).unwrap();
        // Still speaking past its slot: the cursor waits at "Hold.", which is not said.
        assert_eq!(
            p.turn(200, t0 + Duration::from_secs(2), &mut sp),
            Ok(Some(200))
        );
        assert_eq!(sp.said.len(), 1);
        p.heard(&Heard::Ended(1), t0 + Duration::from_secs(2))
            .unwrap();
        // Ended: the gate moves to the hold's start sound, where "Hold." would be passed.
        assert_eq!(
            p.turn(200, t0 + Duration::from_secs(2), &mut sp),
            Ok(Some(300))
        );
        assert_eq!(
            p.turn(201, t0 + Duration::from_secs(2), &mut sp),
            Ok(Some(300))
        );
        assert_eq!(sp.said, ["Lie down.", "Hold."]);
        // It took 2 s for a 1 s slot: the estimate learned.
        assert!(p.ratio > 1.2, "{}", p.ratio);
    }

    #[test]
    fn a_count_inside_a_hold_never_holds_the_cursor_and_is_left_out_when_the_voice_is_busy() {
        let mut p = Pacer::new(&timeline());
        let mut sp = Calls::default();
        let t0 = Instant::now();
        p.moved(300, &mut sp);
        // Inside the hold: no gate at all (the release sound is never held back)...
        assert_eq!(p.turn(400, t0, &mut sp), Ok(None));
        // ... "Two." said when the cursor plays into it ...
        assert_eq!(p.turn(601, t0, &mut sp), Ok(None));
        assert_eq!(sp.said, ["Two."]);
        p.heard(&Heard::Queued(1), t0).unwrap();
        // ... and "One." left out while "Two." is still being said.
        p.turn(701, t0, &mut sp).unwrap();
        assert_eq!(sp.said, ["Two."]);
        assert_eq!(p.left_out, 1);
        // Both are dealt with; only "One." is not to be printed.
        assert!(p.decided(600) && p.decided(700) && !p.decided(900));
        assert!(p.was_left_out(700) && !p.was_left_out(600));
        // At the hold's end the voice is stopped.
        p.turn(800, t0, &mut sp).unwrap();
        assert_eq!(sp.stops, 1);
        assert!(!p.is_speaking());
    }

    #[test]
    fn a_count_with_no_time_left_in_its_hold_is_left_out() {
        let mut t = timeline();
        // "One." as long as the rest of the hold and more.
        t.cues
            .iter_mut()
            .find(|c| c.text.as_deref() == Some("One."))
            .unwrap()
            .end = 790;
        let mut p = Pacer::new(&t);
        p.ratio = 1.5;
        let mut sp = Calls::default();
        p.moved(700, &mut sp);
        p.turn(701, Instant::now(), &mut sp).unwrap();
        assert!(sp.said.is_empty());
        assert_eq!(p.left_out, 1);
    }

    #[test]
    fn an_answer_cuts_the_voice_and_holds_the_cursor_at_the_next_audible_cue() {
        let mut p = Pacer::new(&timeline());
        let mut sp = Calls::default();
        let t0 = Instant::now();
        p.moved(100, &mut sp);
        p.answer("Paused.", 40, t0, &mut sp);
        assert_eq!(p.turn(150, t0, &mut sp), Ok(Some(200)));
        p.heard(&Heard::Ended(1), t0).unwrap();
        // The answer's end does not teach the estimate anything.
        assert_eq!(p.ratio, 1.0);
        assert_eq!(
            p.turn(150, t0, &mut sp),
            Ok(Some(300)),
            "Hold. not yet handed over"
        );
    }

    #[test]
    fn a_seek_cuts_a_planned_line_and_goes_on_from_the_line_at_the_new_place() {
        let mut p = Pacer::new(&timeline());
        let mut sp = Calls::default();
        let t0 = Instant::now();
        p.turn(5, t0, &mut sp).unwrap();
        p.moved(900, &mut sp);
        assert_eq!(sp.stops, 1);
        p.turn(901, t0, &mut sp).unwrap();
        assert_eq!(sp.said, ["Lie down.", "Done."]);
    }

    #[test]
    fn a_voice_that_takes_no_line_or_never_ends_one_is_lost() {
        let t0 = Instant::now();
        let mut sp = Calls::default();
        let mut p = Pacer::new(&timeline());
        p.turn(5, t0, &mut sp).unwrap();
        assert!(p.turn(6, t0 + Duration::from_millis(100), &mut sp).is_ok());
        let lost = p.turn(6, t0 + SPEAK_TIMEOUT + Duration::from_millis(1), &mut sp);
        assert!(lost.unwrap_err().0.contains("to take a line"));

        let mut p = Pacer::new(&timeline());
        p.turn(5, t0, &mut sp).unwrap();
        p.heard(&Heard::Queued(sp.said.len() as u64), t0).unwrap();
        // A 1 s line: twice that and the grace, then lost.
        assert!(p.turn(6, t0 + Duration::from_secs(4), &mut sp).is_ok());
        let lost = p.turn(6, t0 + Duration::from_millis(5100), &mut sp);
        assert!(lost.unwrap_err().0.contains("did not finish"));

        let mut p = Pacer::new(&timeline());
        assert_eq!(
            p.heard(&Heard::Failed("gone".into()), t0),
            Err(Lost("gone".into()))
        );
    }

    /// A daemon killed or stopped mid-line never reports the end: it is looked at every
    /// CHECK_EVERY while a line is said (never while the voice is silent), and lost as soon as
    /// it is seen gone, long before the end's timeout.
    #[test]
    fn a_daemon_gone_mid_line_is_seen_at_the_next_check() {
        let t0 = Instant::now();
        let mut sp = Calls::default();
        let mut p = Pacer::new(&timeline());
        p.turn(0, t0, &mut sp).unwrap();
        p.turn(0, t0 + CHECK_EVERY * 3, &mut sp).unwrap();
        assert_eq!(sp.checks, 0, "nothing said: nothing looked at");
        p.turn(5, t0, &mut sp).unwrap();
        assert_eq!(sp.checks, 1, "looked at before a line is handed over");
        p.heard(&Heard::Queued(1), t0).unwrap();
        p.turn(6, t0 + CHECK_EVERY / 2, &mut sp).unwrap();
        assert_eq!(sp.checks, 1);
        p.turn(6, t0 + CHECK_EVERY, &mut sp).unwrap();
        p.turn(6, t0 + CHECK_EVERY + Duration::from_millis(20), &mut sp)
            .unwrap();
        assert_eq!(sp.checks, 2, "once per CHECK_EVERY");
        sp.gone = Some("speech-dispatcher is stopped".into());
        let lost = p.turn(7, t0 + CHECK_EVERY * 2, &mut sp);
        assert_eq!(lost, Err(Lost("speech-dispatcher is stopped".into())));
    }

    /// Gone before a line: the line is not handed over. Outside a hold it counts as left out
    /// (the conductor says it again after the switch); inside one it does not (the built-in
    /// voice's window says it, and it is printed).
    #[test]
    fn a_line_is_never_handed_to_a_daemon_that_is_gone() {
        let gone = || Calls {
            gone: Some("speech-dispatcher is gone".into()),
            ..Calls::default()
        };
        let mut sp = gone();
        let mut p = Pacer::new(&timeline());
        let lost = p.turn(5, Instant::now(), &mut sp);
        assert_eq!(lost, Err(Lost("speech-dispatcher is gone".into())));
        assert!(sp.said.is_empty());
        assert!(p.decided(0) && p.was_left_out(0));

        let mut sp = gone();
        let mut p = Pacer::new(&timeline());
        p.moved(600, &mut sp);
        assert!(p.turn(601, Instant::now(), &mut sp).is_err());
        assert!(sp.said.is_empty());
        assert!(p.decided(600) && !p.was_left_out(600), "Two. in the hold");
    }
}
