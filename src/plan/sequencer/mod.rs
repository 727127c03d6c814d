//! The sequencer: a routine, the length of every spoken line and every sound, and the pacing
//! become a [`Timeline`]. Frame arithmetic only.
//!
//! Lines a session cannot do without (names, setup, cues, "rep 4 of 10") are placed one after
//! another: a long line moves everything after it, never a sound. Lines that only help (the
//! count-down, "hold", "halfway", "rest for thirty seconds") sit inside a hold or rest window and
//! are left out where they do not fit, so a window is never longer than the routine says.
//!
//! Its rooms: this file holds the options, `plan` and the placement primitives (a line, a
//! sound, a window, a count-down, a rest); `walk` walks the routine (session, circuits,
//! exercises, reps, the work of each kind); `wording` makes the sentences said about a dose.

mod walk;
mod wording;

use crate::phrases::{self, Phrases};
use crate::plan::step::Step;
use crate::plan::{Cue, CueKind, PlannedDose, Timeline, frames};
use crate::routine::{Kind, Routine, Side, SoundRef, Text, limits};

/// Tells the sequencer how long a line takes to say, in frames at the timeline's rate.
/// The embedded voice answers by synthesising (and caching) the line; tests use a stand-in.
pub trait SpeechTimer {
    fn speech_frames(
        &mut self,
        text: &str,
    ) -> Result<u64, Box<dyn std::error::Error + Send + Sync>>;
}

/// The gaps and thresholds that shape a session. Seconds; the sequencer turns them into frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Pacing {
    /// Silence after each spoken line before the next thing.
    pub after_speech_secs: f64,
    /// Silence after a sound before the next thing.
    pub after_sound_secs: f64,
    /// The least silence between a helper line and the next cue inside a window.
    pub min_gap_secs: f64,
    pub between_exercises_secs: f64,
    /// Silence at the very end, so the last sound rings out.
    pub tail_secs: f64,
    pub default_lead_in_secs: f64,
    /// Seconds counted aloud at the end of the lead-in.
    pub lead_in_countdown: u32,
    /// Rests at least this long are announced and end with the rest-over sound.
    pub announce_rest_secs: f64,
    /// Rests at least this long have a three-second count-down.
    pub count_rest_secs: f64,
    /// Holds at least this long hear "halfway" in the middle.
    pub halfway_secs: f64,
    /// The longest silence in a hold, rest or timed block before a time check is said, unless
    /// the routine asks for quiet.
    pub max_silence_secs: f64,
    /// A technique reminder comes this long after a hold's opening line.
    pub technique_after_secs: f64,
    /// In a timed block, the next technique reminder comes this long after the last.
    pub technique_every_secs: f64,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            after_speech_secs: 0.4,
            after_sound_secs: 0.25,
            min_gap_secs: 0.15,
            between_exercises_secs: 1.5,
            tail_secs: 0.5,
            default_lead_in_secs: 10.0,
            lead_in_countdown: 5,
            announce_rest_secs: 5.0,
            count_rest_secs: 10.0,
            halfway_secs: 20.0,
            max_silence_secs: 30.0,
            technique_after_secs: 2.0,
            technique_every_secs: 20.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanOptions {
    pub sample_rate: u32,
    /// Overrides the routine's lead-in (and the default).
    pub lead_in_secs: Option<f64>,
    pub pacing: Pacing,
    /// Plan only the opening (title, safety lines, lead-in, "Let's begin."). Its cues are
    /// exactly the first cues of the whole plan, so playback can start on it while the rest is
    /// being synthesised.
    pub intro_only: bool,
    /// Plan the opening and only this many blocks after it (exercises, each with the rest
    /// after it, or circuits), and not the closing. Its cues are exactly those of the whole
    /// plan that start before its end (`Timeline::frames`), so a render can start encoding
    /// them while the rest is being synthesised.
    pub blocks: Option<usize>,
    /// Extra lines said in the opening, right after the title (a live session's key hint, a
    /// saved position). Written by the caller in the routine's language.
    /// Each is true only now, of this person (a key hint, a saved place): said only when the
    /// session is played, its cue is marked [`Cue::live_only`], and a render, which makes a
    /// file for any time, has none.
    pub notes: Vec<String>,
    /// Start at this exercise (its `id`) instead of the first: the opening says "Continuing
    /// with ..." and the exercises before it are left out. Exercise numbers stay those of the
    /// whole routine ("Exercise 2 of 3").
    pub resume_from: Option<String>,
    /// The person's affected side (config `affected_side` or `--side`), for exercises whose
    /// `first_side` is "affected" or "unaffected".
    pub affected_side: Option<Side>,
}

impl PlanOptions {
    pub fn new(sample_rate: u32) -> Self {
        PlanOptions {
            sample_rate,
            lead_in_secs: None,
            pacing: Pacing::default(),
            intro_only: false,
            blocks: None,
            notes: Vec::new(),
            resume_from: None,
            affected_side: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("the voice could not say \"{text}\": {source}")]
    Voice {
        text: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Longer than [`limits::MAX_SESSION_SECS`]. Planning stops as soon as it passes the
    /// limit (`more`), so an over-long routine is refused before its lines are synthesised;
    /// `exercise` is the id of the exercise being planned when it passed (`None`: the
    /// opening or the closing).
    #[error(
        "this routine lasts {}{minutes} minutes; the limit is {limit} minutes",
        if *more { "more than " } else { "" }
    )]
    TooLong {
        minutes: u64,
        limit: u64,
        more: bool,
        exercise: Option<String>,
    },
    #[error("there are no built-in phrases for language \"{0}\"")]
    Language(String),
    /// A start sound as long as the hold or block it opens would play over its release.
    #[error(
        "{loc}the sound \"{sound}\" lasts {sound_secs:.1} s, but the {what} it starts lasts {window_secs:.1} s. hint: use a shorter sound, or a longer {what}"
    )]
    SoundTooLong {
        /// `file:line:col: ` of the line that names the sound, or nothing for a built-in one.
        loc: String,
        sound: String,
        sound_secs: f64,
        window_secs: f64,
        what: &'static str,
    },
    #[error("this routine has no exercise \"{0}\" to continue from")]
    NoSuchExercise(String),
    #[error(
        "the exercise \"{0}\" starts with your affected (or your other) side, and no affected side is set"
    )]
    NoAffectedSide(String),
}

/// Turns a routine into a timeline. `sound_frames` gives each sound's length at the timeline rate.
pub fn plan(
    routine: &Routine,
    voice: &mut dyn SpeechTimer,
    sound_frames: &dyn Fn(&SoundRef) -> u64,
    options: &PlanOptions,
) -> Result<Timeline, PlanError> {
    let ph = phrases::for_language(&routine.language)
        .ok_or_else(|| PlanError::Language(routine.language.clone()))?;
    let mut s = Seq {
        rate: options.sample_rate,
        p: &options.pacing,
        ph,
        voice,
        sound_frames,
        cur: 0,
        cues: Vec::new(),
        ctx: Ctx::default(),
        step: None,
        checks: true,
        live_only: false,
    };
    s.session(routine, options)?;
    let frames = s.cur;
    let limit = frames_limit(options.sample_rate);
    if frames > limit {
        return Err(PlanError::TooLong {
            minutes: frames.div_ceil(60 * u64::from(options.sample_rate)),
            limit: (limits::MAX_SESSION_SECS / 60.0) as u64,
            more: false,
            exercise: None,
        });
    }
    let mut cues = s.cues;
    cues.sort_by_key(|c| (c.start, c.kind));
    Ok(Timeline {
        routine: routine.id.clone(),
        sample_rate: options.sample_rate,
        frames,
        cues,
        doses: doses(routine),
    })
}

fn doses(r: &Routine) -> Vec<PlannedDose> {
    r.exercises
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let circuit = r.circuits.iter().find(|c| c.exercises.contains(&i));
            PlannedDose {
                exercise: e.id.clone(),
                kind: e.kind.as_str().to_owned(),
                reps: (e.kind != Kind::Timed).then_some(e.reps),
                sets: e.sets,
                hold_secs: (e.kind == Kind::Hold).then_some(e.hold_secs),
                duration_secs: (e.kind == Kind::Timed).then_some(e.duration_secs),
                tempo: e.tempo.iter().map(|p| p.secs).collect(),
                circuit: circuit.map(|c| c.id.clone()),
                rounds: circuit.map(|c| c.rounds),
                reason: e.dose_note.as_ref().map(|n| n.reason.clone()),
            }
        })
        .collect()
}

fn frames_limit(rate: u32) -> u64 {
    frames(limits::MAX_SESSION_SECS, rate)
}

/// What the cues being placed belong to.
#[derive(Debug, Clone, Default)]
struct Ctx {
    exercise: Option<String>,
    side: Option<Side>,
    set: Option<u32>,
    rep: Option<u32>,
    round: Option<u32>,
}

struct Seq<'a> {
    rate: u32,
    p: &'a Pacing,
    ph: &'static Phrases,
    voice: &'a mut dyn SpeechTimer,
    sound_frames: &'a dyn Fn(&SoundRef) -> u64,
    /// The frame where the next sequential thing starts.
    cur: u64,
    cues: Vec<Cue>,
    ctx: Ctx,
    /// The open step: where it started, what it belongs to, its id and its label.
    step: Option<(u64, Ctx, Step, String)>,
    /// Whether windows get time checks (the exercise's `time_checks`, the routine's `quiet`).
    checks: bool,
    /// The lines being said are notes ([`PlanOptions::notes`]), said only when played.
    live_only: bool,
}

const SWITCH: SoundRef = SoundRef::Builtin("switch");
const REST_OVER: SoundRef = SoundRef::Builtin("rest-over");
const SESSION_END: SoundRef = SoundRef::Builtin("session-end");
/// A count-down's second where no number fits (slow speech).
const TICK: SoundRef = SoundRef::Builtin("tick");

impl Seq<'_> {
    fn f(&self, secs: f64) -> u64 {
        frames(secs, self.rate)
    }

    fn len_of(&mut self, text: &str) -> Result<u64, PlanError> {
        // Nothing more is synthesised once the session is over the limit.
        if self.cur > frames_limit(self.rate) {
            return Err(PlanError::TooLong {
                minutes: self.cur / (60 * u64::from(self.rate)),
                limit: (limits::MAX_SESSION_SECS / 60.0) as u64,
                more: true,
                exercise: self.ctx.exercise.clone(),
            });
        }
        self.voice
            .speech_frames(text)
            .map_err(|source| PlanError::Voice {
                text: text.to_owned(),
                source,
            })
    }

    fn push(
        &mut self,
        kind: CueKind,
        start: u64,
        end: u64,
        text: Option<String>,
        sound: Option<String>,
    ) {
        self.cues.push(Cue {
            kind,
            start,
            end,
            text,
            sound,
            exercise: self.ctx.exercise.clone(),
            side: self.ctx.side.map(Into::into),
            set: self.ctx.set,
            rep: self.ctx.rep,
            round: self.ctx.round,
            live_only: self.live_only && kind == CueKind::Speech,
            step: None,
            sides_are: Default::default(),
        });
    }

    /// Closes the open step at the cursor and opens a new one. `id` is the step's stable id
    /// (see [`Cue::step`]): the same step of the same routine has the same id at any speech rate.
    fn step(&mut self, id: Step, label: String) {
        self.close_step();
        self.step = Some((self.cur, self.ctx.clone(), id, label));
    }

    fn close_step(&mut self) {
        if let Some((start, ctx, id, label)) = self.step.take() {
            let here = std::mem::replace(&mut self.ctx, ctx);
            self.push(CueKind::Step, start, self.cur, Some(label), None);
            if let Some(c) = self.cues.last_mut() {
                c.step = Some(id);
            }
            self.ctx = here;
        }
    }

    /// A line that must be said: placed at the cursor; what follows waits for it.
    fn say(&mut self, text: &str) -> Result<(), PlanError> {
        let d = self.len_of(text)?;
        self.push(
            CueKind::Speech,
            self.cur,
            self.cur + d,
            Some(text.to_owned()),
            None,
        );
        self.cur += d + self.f(self.p.after_speech_secs);
        Ok(())
    }

    /// A routine line for a side. A line that names the side takes the slot of the longer of its
    /// two versions, so both sides last exactly the same number of frames.
    fn say_text(&mut self, t: &Text, side: Option<Side>) -> Result<(), PlanError> {
        let ph = self.ph;
        let text = t.render(side, |s| s.word(ph));
        let d = self.len_of(&text)?;
        let slot = match side {
            Some(side) if t.names_side() => {
                d.max(self.len_of(&t.render(Some(side.other()), |s| s.word(ph)))?)
            }
            _ => d,
        };
        self.push(CueKind::Speech, self.cur, self.cur + d, Some(text), None);
        self.cur += slot + self.f(self.p.after_speech_secs);
        Ok(())
    }

    /// Routine lines, one after another, for a side.
    fn say_lines(&mut self, lines: &[Text], side: Option<Side>) -> Result<(), PlanError> {
        for line in lines {
            self.say_text(line, side)?;
        }
        Ok(())
    }

    fn sound(&mut self, sound: &SoundRef) {
        let len = (self.sound_frames)(sound);
        self.push(
            CueKind::Sound,
            self.cur,
            self.cur + len,
            None,
            Some(sound.name()),
        );
        self.cur += len + self.f(self.p.after_sound_secs);
    }

    /// A helper line inside a window: said at `at` if it ends by `limit`, else left out.
    fn try_say_at(&mut self, text: &str, at: u64, limit: u64) -> Result<Option<u64>, PlanError> {
        let d = self.len_of(text)?;
        if at + d <= limit {
            self.push(CueKind::Speech, at, at + d, Some(text.to_owned()), None);
            Ok(Some(at + d))
        } else {
            Ok(None)
        }
    }

    /// A count-down of the last `n` seconds before `end`, counted from the last second up:
    /// each second's number ("Three.") where it fits in its second; where it does not (slow
    /// speech), a tick on that second, or, when the number before is too long for its own
    /// second too, that number said over both ("Four … Two …"). A count is never left
    /// out without a sound (routines/README.md, "Count-downs"). Returns where it starts
    /// (`end` when there is no room for one after `free_from`).
    fn countdown(&mut self, end: u64, n: u32, free_from: u64) -> Result<u64, PlanError> {
        let second = u64::from(self.rate);
        let n = u64::from(n);
        let span = n * second;
        if n == 0 || end < span || end - span < free_from {
            return Ok(end);
        }
        let gap = self.f(self.p.min_gap_secs);
        let tick_len = (self.sound_frames)(&TICK);
        // Every number, from the first said to the last: the engine carries its state from
        // line to line, so this order keeps a count that fits as it always came out.
        let mut words = vec![(0, String::new()); n as usize + 1];
        for k in (1..=n).rev() {
            let text = self.ph.count(k);
            words[k as usize] = (self.len_of(&text)?, text);
        }
        // (frame, the number said there, or a tick)
        let mut placed: Vec<(u64, Option<(u64, String)>)> = Vec::new();
        let mut k = 1;
        while k <= n {
            let (d, text) = &words[k as usize];
            if d + gap <= second {
                placed.push((end - k * second, Some((*d, text.clone()))));
                k += 1;
                continue;
            }
            if k < n {
                // The number before is too long for its second too: it takes both.
                let (d, text) = &words[k as usize + 1];
                if d + gap > second && d + gap <= 2 * second {
                    placed.push((end - (k + 1) * second, Some((*d, text.clone()))));
                    k += 2;
                    continue;
                }
            }
            if tick_len + gap <= second {
                placed.push((end - k * second, None));
            }
            k += 1;
        }
        placed.sort_by_key(|p| p.0);
        for (at, what) in placed {
            match what {
                Some((d, text)) => self.push(CueKind::Speech, at, at + d, Some(text), None),
                None => self.push(CueKind::Sound, at, at + tick_len, None, Some(TICK.name())),
            }
        }
        Ok(end - span)
    }

    /// A window of `secs` (prepare or rest): an optional announcement at its start, an optional
    /// count-down at its end. The cursor moves exactly `secs` on.
    fn window(
        &mut self,
        kind: CueKind,
        secs: f64,
        announce: Option<String>,
        count: u32,
    ) -> Result<(), PlanError> {
        let len = self.f(secs);
        if len == 0 {
            return Ok(());
        }
        let (start, end) = (self.cur, self.cur + len);
        self.push(kind, start, end, None, None);
        let cd_start = self.countdown(end, count, start)?;
        let limit = cd_start.saturating_sub(self.f(self.p.min_gap_secs));
        if let Some(text) = announce {
            self.try_say_at(&text, start, limit)?;
        }
        self.time_checks(start, limit, end)?;
        self.cur = end;
        Ok(())
    }

    /// Spoken time checks ("Thirty seconds left.") in the silent stretches of a window, so that
    /// nothing is silent for more than [`Pacing::max_silence_secs`]. `win..limit` is where a
    /// check may be said; `end` is what "left" counts to.
    fn time_checks(&mut self, win: u64, limit: u64, end: u64) -> Result<(), PlanError> {
        if !self.checks {
            return Ok(());
        }
        let max = self.f(self.p.max_silence_secs);
        let gap = self.f(self.p.min_gap_secs);
        let ten = u64::from(self.rate) * 10;
        let mut busy: Vec<(u64, u64)> = self
            .cues
            .iter()
            .filter(|c| matches!(c.kind, CueKind::Speech | CueKind::Sound))
            .filter(|c| c.end > win && c.start < end)
            .map(|c| (c.start, c.end))
            .collect();
        busy.sort_unstable();
        busy.push((end, end));
        // Silence began when the last thing before the window ended.
        let mut quiet_from = self
            .cues
            .iter()
            .rev()
            .take(64)
            .filter(|c| matches!(c.kind, CueKind::Speech | CueKind::Sound) && c.end <= win)
            .map(|c| c.end)
            .max()
            .unwrap_or(win);
        for (b_start, b_end) in busy {
            while b_start > quiet_from + max {
                // Marks at whole tens of seconds before the end; a whole half-minute if one fits.
                let room = limit.min(b_start);
                let mut pick: Option<(u64, u64, String)> = None;
                let mut k = 1;
                while k * ten < end - win {
                    let at = end - k * ten;
                    k += 1;
                    if at <= quiet_from + gap || at > quiet_from + max {
                        continue;
                    }
                    let left = (end - at) as f64 / f64::from(self.rate);
                    let text = phrases::capitalise(&phrases::fill(
                        self.ph.time_left,
                        &[("duration", &self.ph.duration(left.round()))],
                    ));
                    let d = self.len_of(&text)?;
                    if at + d + gap > room {
                        continue;
                    }
                    let round = (end - at).is_multiple_of(3 * ten);
                    let better = match &pick {
                        None => true,
                        Some((p, _, _)) => round && !(end - p).is_multiple_of(3 * ten),
                    };
                    if better {
                        pick = Some((at, d, text));
                    }
                }
                let Some((at, d, text)) = pick else { break };
                self.push(CueKind::Speech, at, at + d, Some(text), None);
                quiet_from = at + d;
            }
            quiet_from = quiet_from.max(b_end);
        }
        Ok(())
    }

    fn rest(&mut self, secs: f64) -> Result<(), PlanError> {
        if secs <= 0.0 {
            return Ok(());
        }
        let long = secs >= self.p.announce_rest_secs;
        let announce =
            long.then(|| phrases::fill(self.ph.rest_for, &[("duration", &self.ph.duration(secs))]));
        let count = if secs >= self.p.count_rest_secs { 3 } else { 0 };
        self.window(CueKind::Rest, secs, announce, count)?;
        if long {
            self.sound(&REST_OVER);
        }
        Ok(())
    }
}
