//! The sequencer: a routine, the length of every spoken line and every sound, and the pacing
//! become a [`Timeline`]. Frame arithmetic only.
//!
//! Lines a session cannot do without (names, setup, cues, "rep 4 of 10") are placed one after
//! another: a long line moves everything after it, never a sound. Lines that only help (the
//! count-down, "hold", "halfway", "rest for thirty seconds") sit inside a hold or rest window and
//! are left out where they do not fit, so a window is never longer than the routine says.

use crate::phrases::{self, Phrases};
use crate::plan::{Cue, CueKind, Timeline, frames};
use crate::routine::{Exercise, Routine, Side, Sides, SoundRef, Text, limits};

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
    /// Extra lines said in the opening, right after the title (a live session's key hint, a
    /// saved position). Written by the caller in the routine's language.
    pub notes: Vec<String>,
    /// Start at this exercise (its `id`) instead of the first: the opening says "Continuing
    /// with ..." and the exercises before it are left out. Exercise numbers stay those of the
    /// whole routine ("Exercise 2 of 3").
    pub resume_from: Option<String>,
}

impl PlanOptions {
    pub fn new(sample_rate: u32) -> Self {
        PlanOptions {
            sample_rate,
            lead_in_secs: None,
            pacing: Pacing::default(),
            intro_only: false,
            notes: Vec::new(),
            resume_from: None,
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
    #[error("this routine lasts {minutes} minutes; the limit is {limit} minutes")]
    TooLong { minutes: u64, limit: u64 },
    #[error("there are no built-in phrases for language \"{0}\"")]
    Language(String),
    #[error("this routine has no exercise \"{0}\" to continue from")]
    NoSuchExercise(String),
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
    };
    s.session(routine, options)?;
    let frames = s.cur;
    let limit = frames_limit(options.sample_rate);
    if frames > limit {
        return Err(PlanError::TooLong {
            minutes: frames.div_ceil(60 * u64::from(options.sample_rate)),
            limit: (limits::MAX_SESSION_SECS / 60.0) as u64,
        });
    }
    let mut cues = s.cues;
    cues.sort_by_key(|c| (c.start, c.kind));
    Ok(Timeline {
        routine: routine.id.clone(),
        sample_rate: options.sample_rate,
        frames,
        cues,
    })
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
    step: Option<(u64, Ctx, String, String)>,
}

const SWITCH: SoundRef = SoundRef::Builtin("switch");
const REST_OVER: SoundRef = SoundRef::Builtin("rest-over");
const SESSION_END: SoundRef = SoundRef::Builtin("session-end");

impl Seq<'_> {
    fn f(&self, secs: f64) -> u64 {
        frames(secs, self.rate)
    }

    fn len_of(&mut self, text: &str) -> Result<u64, PlanError> {
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
            step: None,
        });
    }

    /// Closes the open step at the cursor and opens a new one. `id` is the step's stable id
    /// (see [`Cue::step`]): the same step of the same routine has the same id at any speech rate.
    fn step(&mut self, id: String, label: String) {
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
        let text = t.render(side, |s| ph.side(s));
        let d = self.len_of(&text)?;
        let slot = match side {
            Some(side) if t.names_side() => {
                d.max(self.len_of(&t.render(Some(side.other()), |s| ph.side(s)))?)
            }
            _ => d,
        };
        self.push(CueKind::Speech, self.cur, self.cur + d, Some(text), None);
        self.cur += slot + self.f(self.p.after_speech_secs);
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

    /// Counts the last `n` seconds before `end` aloud, each number on its second, if every
    /// number fits its second and the first starts at or after `free_from`. Returns where the
    /// count-down starts (or `end` when there is none).
    fn countdown(&mut self, end: u64, n: u32, free_from: u64) -> Result<u64, PlanError> {
        let second = u64::from(self.rate);
        let span = u64::from(n) * second;
        if n == 0 || end < span || end - span < free_from {
            return Ok(end);
        }
        let gap = self.f(self.p.min_gap_secs);
        let mut lines = Vec::new();
        for k in (1..=u64::from(n)).rev() {
            let text = self.ph.count(k);
            let d = self.len_of(&text)?;
            if d + gap > second {
                return Ok(end);
            }
            lines.push((end - k * second, d, text));
        }
        for (at, d, text) in lines {
            self.push(CueKind::Speech, at, at + d, Some(text), None);
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
        if let Some(text) = announce {
            let limit = cd_start.saturating_sub(self.f(self.p.min_gap_secs));
            self.try_say_at(&text, start, limit)?;
        }
        self.cur = end;
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

    fn session(&mut self, r: &Routine, o: &PlanOptions) -> Result<(), PlanError> {
        self.step("start".to_owned(), "start".to_owned());
        self.say(&format!("{}.", r.title.trim_end_matches('.')))?;
        for note in &o.notes {
            self.say(note)?;
        }
        let first = match &o.resume_from {
            Some(id) => r
                .exercises
                .iter()
                .position(|e| &e.id == id)
                .ok_or_else(|| PlanError::NoSuchExercise(id.clone()))?,
            None => 0,
        };
        if first > 0 {
            let name = &r.exercises[first].name;
            self.say(&phrases::fill(self.ph.continuing_with, &[("name", name)]))?;
        }
        for line in &r.safety {
            self.say_text(line, None)?;
        }
        let lead_in = o
            .lead_in_secs
            .or(r.lead_in_secs)
            .unwrap_or(self.p.default_lead_in_secs);
        if lead_in > 0.0 {
            let announce =
                phrases::fill(self.ph.lead_in, &[("duration", &self.ph.duration(lead_in))]);
            self.window(
                CueKind::Prepare,
                lead_in,
                Some(announce),
                self.p.lead_in_countdown,
            )?;
        }
        self.say(self.ph.begin)?;
        if o.intro_only {
            self.close_step();
            return Ok(());
        }

        let total = r.exercises.len();
        for (i, ex) in r.exercises.iter().enumerate().skip(first) {
            self.exercise(ex, i + 1, total, i == first)?;
        }
        let done = total - first;

        self.ctx = Ctx::default();
        self.step("end".to_owned(), "end".to_owned());
        self.sound(&SESSION_END);
        let elapsed = crate::plan::secs(self.cur, self.rate);
        let minutes = (elapsed / 60.0).round();
        let duration = if minutes >= 1.0 {
            self.ph.duration(minutes * 60.0)
        } else {
            self.ph.duration(elapsed.round())
        };
        self.say(&phrases::fill(
            self.ph.complete,
            &[("title", r.title.trim_end_matches('.'))],
        ))?;
        let summary = if done == 1 {
            phrases::fill(self.ph.summary_one, &[("duration", &duration)])
        } else {
            phrases::fill(
                self.ph.summary,
                &[("exercises", &done.to_string()), ("duration", &duration)],
            )
        };
        self.say(&summary)?;
        self.say(self.ph.well_done)?;
        // The tail replaces the last line's trailing gap.
        self.cur = self.cur - self.f(self.p.after_speech_secs) + self.f(self.p.tail_secs);
        self.close_step();
        Ok(())
    }

    fn exercise(
        &mut self,
        ex: &Exercise,
        n: usize,
        total: usize,
        first: bool,
    ) -> Result<(), PlanError> {
        self.ctx = Ctx {
            exercise: Some(ex.id.clone()),
            ..Ctx::default()
        };
        self.step(format!("{}/setup", ex.id), format!("{}: setup", ex.name));
        // The pause between exercises opens the next one's first step, so no side's block of
        // the previous exercise grows by it.
        if !first {
            self.cur += self.f(self.p.between_exercises_secs);
        }
        let start = self.cur;
        let ph = self.ph;
        self.say(&phrases::fill(
            ph.exercise_of,
            &[
                ("n", &n.to_string()),
                ("total", &total.to_string()),
                ("name", &ex.name),
            ],
        ))?;
        let reps = ex.reps.to_string();
        let dose_line = match (ex.sides, ex.reps) {
            (Sides::None, 1) => ph.dose_once.to_owned(),
            (Sides::None, _) => phrases::fill(ph.dose, &[("reps", &reps)]),
            (_, 1) => ph.dose_sides_once.to_owned(),
            _ => phrases::fill(ph.dose_sides, &[("reps", &reps)]),
        };
        self.say(&dose_line)?;
        let first_side = ex.sides.order().first().copied();
        for line in &ex.setup {
            self.say_text(line, first_side)?;
        }
        self.window(CueKind::Prepare, ex.setup_secs, None, 0)?;

        for set in 1..=ex.sets {
            // Sets are named only where there is more than one.
            self.ctx.set = (ex.sets > 1).then_some(set);
            if ex.sets > 1 {
                self.step(
                    format!("{}/set-{set}", ex.id),
                    format!("{}: set {set}", ex.name),
                );
                self.say(&phrases::fill(
                    ph.set_of,
                    &[("n", &set.to_string()), ("total", &ex.sets.to_string())],
                ))?;
            }
            match ex.sides {
                Sides::None => self.reps(ex, None)?,
                Sides::LeftThenRight | Sides::RightThenLeft => {
                    for (i, &side) in ex.sides.order().iter().enumerate() {
                        if i > 0 {
                            self.ctx.side = None;
                            self.ctx.rep = None;
                            self.step(
                                format!("{}/set-{set}/switch-{}", ex.id, side.as_str()),
                                format!("{}: switch to {}", ex.name, side.as_str()),
                            );
                            self.sound(&SWITCH);
                            match &ex.switch {
                                Some(lines) => {
                                    for line in lines {
                                        self.say_text(line, Some(side))?;
                                    }
                                }
                                None => {
                                    self.say(&phrases::fill(ph.switch, &[("side", ph.side(side))]))?
                                }
                            }
                            self.rest(ex.rest_between_sides_secs)?;
                        }
                        self.reps(ex, Some(side))?;
                    }
                }
                Sides::Alternating => {
                    for rep in 1..=ex.reps {
                        for &side in ex.sides.order() {
                            let announce = side == Side::Left && ex.reps > 1;
                            let last = rep == ex.reps && side == Side::Right;
                            self.rep(ex, Some(side), rep, announce, last)?;
                        }
                    }
                }
            }
            self.ctx.side = None;
            self.ctx.rep = None;
            if set < ex.sets {
                self.step(
                    format!("{}/set-{set}/rest", ex.id),
                    format!("{}: rest after set {set}", ex.name),
                );
                self.rest(ex.rest_between_sets_secs)?;
            }
        }
        let end = self.cur;
        self.ctx = Ctx {
            exercise: Some(ex.id.clone()),
            ..Ctx::default()
        };
        self.push(CueKind::Exercise, start, end, Some(ex.name.clone()), None);
        Ok(())
    }

    fn reps(&mut self, ex: &Exercise, side: Option<Side>) -> Result<(), PlanError> {
        for rep in 1..=ex.reps {
            self.rep(ex, side, rep, ex.reps > 1, rep == ex.reps)?;
        }
        Ok(())
    }

    /// One rep: its number, the movement, the hold between its two sounds, the way back, a rest.
    fn rep(
        &mut self,
        ex: &Exercise,
        side: Option<Side>,
        rep: u32,
        announce: bool,
        last: bool,
    ) -> Result<(), PlanError> {
        self.ctx.side = side;
        self.ctx.rep = Some(rep);
        let set = self.ctx.set.unwrap_or(1);
        let (id, label) = match side {
            Some(s) => (
                format!("{}/set-{set}/{}/rep-{rep}", ex.id, s.as_str()),
                format!("{}: {} rep {rep}", ex.name, s.as_str()),
            ),
            None => (
                format!("{}/set-{set}/rep-{rep}", ex.id),
                format!("{}: rep {rep}", ex.name),
            ),
        };
        self.step(id, label);
        let ph = self.ph;
        if announce {
            let alternating = ex.sides == Sides::Alternating;
            let final_one = rep == ex.reps;
            let text = match (alternating, final_one) {
                (false, false) => phrases::fill(
                    ph.rep_of,
                    &[("n", &rep.to_string()), ("total", &ex.reps.to_string())],
                ),
                (false, true) => ph.last_one.to_owned(),
                (true, false) => phrases::fill(
                    ph.round_of,
                    &[("n", &rep.to_string()), ("total", &ex.reps.to_string())],
                ),
                (true, true) => ph.last_round.to_owned(),
            };
            self.say(&text)?;
        }
        for line in &ex.cue {
            self.say_text(line, side)?;
        }
        self.window(CueKind::Move, ex.tempo_secs, None, 0)?;
        self.hold(ex, rep == 1)?;
        for line in &ex.release {
            self.say_text(line, side)?;
        }
        self.window(CueKind::Move, ex.tempo_secs, None, 0)?;
        if !last {
            self.rest(ex.rest_between_reps_secs)?;
        }
        Ok(())
    }

    /// The hold: the start sound on its first frame, the release sound on its end frame, and
    /// helper lines in between where they fit.
    fn hold(&mut self, ex: &Exercise, first: bool) -> Result<(), PlanError> {
        let len = self.f(ex.hold_secs);
        let (start, end) = (self.cur, self.cur + len);
        self.push(CueKind::Hold, start, end, None, None);
        let start_len = (self.sound_frames)(&ex.start_sound);
        self.push(
            CueKind::Sound,
            start,
            start + start_len,
            None,
            Some(ex.start_sound.name()),
        );
        let gap = self.f(self.p.min_gap_secs);
        let free_from = start + start_len + gap;
        let count = if ex.hold_secs >= f64::from(ex.countdown) + 2.0 {
            ex.countdown
        } else {
            0
        };
        let cd_start = self.countdown(end, count, free_from)?;
        let limit = cd_start.saturating_sub(gap);
        let ph = self.ph;
        let long = phrases::fill(ph.hold_for, &[("duration", &ph.duration(ex.hold_secs))]);
        let mut said_until = free_from;
        let first_try = if first { Some(long.as_str()) } else { None };
        for text in first_try.into_iter().chain([ph.hold]) {
            if let Some(e) = self.try_say_at(text, free_from, limit)? {
                said_until = e + gap;
                break;
            }
        }
        if ex.hold_secs >= self.p.halfway_secs {
            let mid = start + len / 2;
            if mid >= said_until {
                self.try_say_at(ph.halfway, mid, limit)?;
            }
        }
        let release_len = (self.sound_frames)(&ex.release_sound);
        self.push(
            CueKind::Sound,
            end,
            end + release_len,
            None,
            Some(ex.release_sound.name()),
        );
        self.cur = end + release_len + self.f(self.p.after_sound_secs);
        Ok(())
    }
}
