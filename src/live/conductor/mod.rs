//! The conductor: a pure state machine over the timeline. It is fed [`Event`]s (commands from
//! keys, media buttons and signals; position reports from the deck; "a program is ready") and
//! answers with [`Action`]s (seek, pause, gain, gate, overlay speech or sound, a transcript
//! line, save the position, end). No clock, no I/O, no audio: time arrives with each event, and
//! tests move frames by hand.
//!
//! Its rooms: `events` (what it is told and what it asks), `index` (the playing timeline and
//! where things are in it), `wording` (the answer to "where am I", the media title); this file
//! is the state machine alone; `tests` and their `simulation` of keys and deck beside it.
//!
//! Invariants (checked by the tests below):
//! - Two voices never speak at once. An overlay (a spoken answer or a confirmation sound) never
//!   plays over a planned line or sound: a planned line it would interrupt is said again from
//!   its start, and the cursor is held by the gate at the next audible cue until the overlay
//!   has ended.
//! - A hold is never shortened. It is lengthened only when the person asked for something
//!   inside it (the gate holds the cursor); pausing inside a hold restarts that rep.
//! - The transcript prints each planned line once as its first frame is reached; going back
//!   prints again, skipping ahead never prints the skipped lines.
//! - A position survives replanning (a new speech rate) by the step's stable id. The plan at a
//!   new rate takes over at the next step boundary (the gate holds the cursor there), never
//!   replaying a step that has begun to sound.

mod events;
mod index;
mod wording;

use std::sync::Arc;
use std::time::Duration;

pub use events::{Action, Command, Ended, Event, Playback};
use index::Index;

use crate::phrases::{self, Phrases};
use crate::plan::step::Phase as StepPhase;
use crate::plan::{Cue, CueKind, Timeline};
use crate::volume::Volume;

/// How much one press of + or − changes the rate, words per minute.
pub const RATE_STEP: u32 = 20;
/// Volume in percent that the arrow keys reach: never silent, so the answers stay audible.
pub const VOLUME_RANGE: (u32, u32) = (Volume::FLOOR, Volume::MAX);
pub const VOLUME_STEP: u32 = 10;
/// A second press of "back" within this time goes to the previous exercise.
pub const BACK_AGAIN: Duration = Duration::from_secs(4);
/// While paused, a reminder is said this often.
pub const PAUSE_REMINDER: Duration = Duration::from_secs(120);
/// After "stop", the session ends when its answer has been said, or after this long.
pub const QUIT_GRACE: Duration = Duration::from_secs(4);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Waiting for the session's opening.
    Starting,
    Playing,
    Paused {
        last_said: Duration,
    },
    Quitting {
        until: Duration,
    },
    /// The output is gone; waiting for it to come back. `paused`: the session was paused
    /// (or the person paused it meanwhile), and stays so when the sound returns.
    Lost {
        paused: bool,
    },
    Ended,
}

/// The live session's state machine. See the module doc.
pub struct Conductor {
    ph: &'static Phrases,
    /// The routine's title, for media clients outside the exercises.
    title: String,
    /// The playing timeline and its index.
    ix: Index,
    /// The mark of the conductor's last load or seek.
    mark: u16,
    complete: bool,
    mode: Mode,
    /// The last reported frame of the current program.
    pos: u64,
    /// The next transcript line: an index into `ix.speech`.
    next_line: usize,
    /// Overlays sent and ended, to know when the gate may open.
    overlays_sent: u32,
    overlays_done: u32,
    /// The overlay that says the help, while it may still be playing: `h` again cuts it.
    help_overlay: Option<u32>,
    gated: bool,
    last_back: Option<Duration>,
    volume: u32,
    rate_wpm: u32,
    /// The exercise last saved as the place to resume from.
    saved: Option<String>,
    status: Option<(Playback, String)>,
    /// The step (an index into `ix.steps`) the last tick was in.
    last_step: Option<usize>,
    /// The step last told as [`Action::Reached`].
    reached: Option<crate::plan::step::Step>,
    /// The person has a terminal's keys (otherwise only headset or media buttons).
    keys: bool,
    /// A plan at a new speech rate, waiting for the step boundary where it takes over.
    pending: Option<Pending>,
    /// Notices (the system voice lost, the place not saved) that came inside a hold or while
    /// the sound was lost: said at the first frame outside a hold, so the hold keeps its
    /// length.
    due: Vec<&'static str>,
}

/// A plan at a new rate, ready: it takes over at frame `at` of the playing timeline (the
/// start of the next step, where the gate holds the cursor), at the same step of its own.
#[derive(Debug)]
struct Pending {
    generation: u16,
    timeline: Arc<Timeline>,
    complete: bool,
    at: u64,
}

impl Conductor {
    /// A conductor for a session spoken with `ph`, starting at `volume` percent and
    /// `rate_wpm` words per minute. It waits for the first [`Event::Ready`].
    pub fn new(ph: &'static Phrases, volume: Volume, rate_wpm: u32) -> Conductor {
        Conductor {
            ph,
            title: String::new(),
            ix: Index::default(),
            mark: 0,
            complete: false,
            mode: Mode::Starting,
            pos: 0,
            next_line: 0,
            overlays_sent: 0,
            help_overlay: None,
            overlays_done: 0,
            gated: false,
            last_back: None,
            volume: volume.played(),
            rate_wpm,
            saved: None,
            status: None,
            last_step: None,
            reached: None,
            keys: true,
            pending: None,
            due: Vec::new(),
        }
    }

    /// Whether the person has a terminal's keys; without them, spoken hints name the play
    /// button instead of the space key.
    pub fn with_keys(mut self, keys: bool) -> Conductor {
        self.keys = keys;
        self
    }

    /// The routine's title, shown by media clients in the opening and the closing.
    pub fn with_title(mut self, title: &str) -> Conductor {
        self.title = title.to_owned();
        self
    }

    /// The timeline now playing.
    pub fn timeline(&self) -> &Timeline {
        &self.ix.t
    }

    /// The last reported frame.
    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn is_paused(&self) -> bool {
        matches!(self.mode, Mode::Paused { .. })
    }

    /// Handles one event at `now` (time since the session started) and says what to do.
    pub fn handle(&mut self, now: Duration, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        if self.mode == Mode::Ended {
            return out;
        }
        match event {
            Event::Ready {
                generation,
                timeline,
                complete,
                rate_wpm,
            } => self.ready(generation, timeline, complete, rate_wpm, &mut out),
            Event::Tick {
                frame,
                mark,
                overlays_done,
                finished,
            } => self.tick(now, frame, mark, overlays_done, finished, &mut out),
            Event::Command(c) => self.command(now, c, &mut out),
            Event::DeviceBack => self.device_back(now, &mut out),
        }
        out
    }

    /// A new output plays the current program: the part that was playing starts again from
    /// its step's start (a hold or a line cut by the fault is never counted as done), after a
    /// word that the sound is back. A paused session stays paused where it was.
    fn device_back(&mut self, now: Duration, out: &mut Vec<Action>) {
        let Mode::Lost { paused } = self.mode else {
            return;
        };
        // The new deck counts its own overlays and knows no gate.
        self.overlays_sent = 0;
        self.overlays_done = 0;
        self.help_overlay = None;
        self.gated = false;
        if self.ix.t.frames == 0 {
            // Lost before the opening was ready: it loads when it is.
            self.mode = Mode::Starting;
            return;
        }
        let ctl = &self.ph.controls;
        out.push(Action::Gain(Volume::gain_of(self.volume)));
        if paused {
            self.mode = Mode::Paused { last_said: now };
            self.seek(self.pos, out);
            out.push(Action::Pause(true));
            let text = if self.keys {
                ctl.sound_back_paused
            } else {
                ctl.sound_back_paused_buttons
            };
            self.say(text.to_owned(), out);
        } else {
            self.mode = Mode::Playing;
            let to = self.ix.step_at(self.pos).map_or(self.pos, |s| s.start);
            self.seek(to, out);
            out.push(Action::Pause(false));
            self.say(ctl.sound_back.to_owned(), out);
        }
        self.last_step = None;
        self.update_status(out);
    }

    fn ready(
        &mut self,
        generation: u16,
        timeline: Arc<Timeline>,
        complete: bool,
        rate_wpm: u32,
        out: &mut Vec<Action>,
    ) {
        if rate_wpm != self.rate_wpm {
            // Made at a rate the person has already changed again: a newer one is coming.
            return;
        }
        // The first program, also when the output was lost before it came.
        let first = self.mode == Mode::Starting
            || (matches!(self.mode, Mode::Lost { .. }) && self.ix.t.frames == 0);
        if !first && !self.prefix_of(&timeline) {
            // A new rate takes over where the step playing ends: the person never does
            // again a rep or a line they have done (the rate is heard in the answer at once).
            let at = self.next_boundary(self.pos);
            self.pending = Some(Pending {
                generation,
                timeline,
                complete,
                at,
            });
            if at <= self.pos {
                self.take_over(out);
            } else if !self.gated {
                out.push(Action::Gate(Some(at)));
            }
            return;
        }
        self.ix = Index::new(timeline);
        self.last_step = None;
        self.complete = complete;
        out.push(Action::Load {
            generation,
            complete,
        });
        self.remark(out);
        if first {
            if self.mode == Mode::Starting {
                self.mode = Mode::Playing;
            }
            self.pos = 0;
            self.next_line = 0;
            self.update_status(out);
            // Notices from before the opening: said now, with the load, so the cursor waits
            // at the first frame and no word of the opening is played before them.
            if self.mode == Mode::Playing && !self.due.is_empty() {
                self.say_due(out);
            }
        }
    }

    /// Where a plan at a new rate may take over from `p`: `p` itself while nothing of its
    /// step has sounded yet, else the start of the next step (or the timeline's end).
    fn next_boundary(&self, p: u64) -> u64 {
        let step_start = self.ix.step_at(p).map_or(0, |s| s.start);
        let sounded = self
            .ix
            .audible
            .iter()
            .map(|&i| &self.ix.t.cues[i])
            .any(|c| c.start >= step_start && c.start < p);
        if !sounded {
            return p;
        }
        self.ix
            .steps
            .iter()
            .map(|&i| self.ix.t.cues[i].start)
            .find(|&s| s > p)
            .unwrap_or(self.ix.t.frames)
    }

    /// The plan at the new rate takes over at the boundary it waited for (or where the person
    /// jumped to): loaded, at the same step of its own timeline.
    fn take_over(&mut self, out: &mut Vec<Action>) {
        let Some(p) = self.pending.take() else {
            return;
        };
        let to = self.same_step_in(&p.timeline, p.at);
        self.ix = Index::new(p.timeline);
        self.last_step = None;
        self.complete = p.complete;
        out.push(Action::Load {
            generation: p.generation,
            complete: p.complete,
        });
        self.remark(out);
        self.seek(to, out);
        if self.overlays_done < self.overlays_sent && !self.is_paused() {
            let gate = self.ix.next_audible_from(to);
            self.gated = true;
            out.push(Action::Gate(Some(gate)));
        } else {
            // The old gate was a frame of the old program.
            self.gated = false;
            out.push(Action::Gate(None));
        }
        self.track_exercise(out);
        self.update_status(out);
    }

    /// The start of the step of `t` that is the step at `p` of the playing timeline (by its
    /// stable id); past the playing timeline's last step (the end of the opening), the step
    /// of `t` that follows that last one.
    fn same_step_in(&self, t: &Timeline, p: u64) -> u64 {
        let start_of = |id: &crate::plan::Step| {
            t.cues
                .iter()
                .position(|c| c.kind == CueKind::Step && c.step.as_ref() == Some(id))
        };
        let here = self.ix.step_at(p);
        if p < self.ix.t.frames
            && let Some(i) = here.and_then(|c| c.step.as_ref()).and_then(start_of)
        {
            return t.cues[i].start;
        }
        // At the end of the timeline: the step after its last one.
        here.and_then(|c| c.step.as_ref())
            .and_then(start_of)
            .and_then(|i| {
                t.cues[i + 1..]
                    .iter()
                    .find(|c| c.kind == CueKind::Step)
                    .map(|c| c.start)
            })
            .unwrap_or(0)
    }

    /// True when `t` begins with the playing timeline's frames (the whole session after its
    /// opening, at the same rate).
    fn prefix_of(&self, t: &Timeline) -> bool {
        t.sample_rate == self.ix.t.sample_rate
            && t.frames >= self.ix.t.frames
            && self
                .ix
                .t
                .cues
                .iter()
                .filter(|c| c.kind == CueKind::Speech)
                .zip(t.cues.iter().filter(|c| c.kind == CueKind::Speech))
                .all(|(a, b)| a.start == b.start && a.text == b.text)
    }

    fn tick(
        &mut self,
        now: Duration,
        frame: u64,
        mark: u16,
        overlays_done: u32,
        finished: bool,
        out: &mut Vec<Action>,
    ) {
        self.overlays_done = overlays_done;
        let overlay_over = self.overlays_done >= self.overlays_sent;
        let current = mark == self.mark;
        if current && !matches!(self.mode, Mode::Starting | Mode::Lost { .. }) {
            self.pos = frame;
            // The transcript: every planned line heard, by the rule answers are heard by
            // (deck::heard_after): one cut sooner (a key, a pause, a stop) was not heard, and
            // is printed only when it plays again.
            while let Some(&i) = self.ix.speech.get(self.next_line) {
                let c = &self.ix.t.cues[i];
                if c.start + super::deck::heard_after(c.end.saturating_sub(c.start)) > frame {
                    break;
                }
                out.push(Action::Print {
                    text: c.text.clone().unwrap_or_default(),
                    instruction: self.is_instruction(c),
                    at: c.start,
                });
                self.next_line += 1;
            }
            // The exercise and the title change only with the step: look them up only then,
            // so a tick in a hold does no work and allocates nothing.
            let step = self
                .ix
                .steps
                .partition_point(|&i| self.ix.t.cues[i].start <= frame);
            if matches!(self.mode, Mode::Playing) && self.last_step != Some(step) {
                self.last_step = Some(step);
                self.track_step(true, out);
                self.track_exercise(out);
                self.update_status(out);
            }
        }
        if self.gated && overlay_over {
            self.gated = false;
            // A plan at a new rate still waits for its boundary: the cursor stops there.
            out.push(Action::Gate(self.pending.as_ref().map(|p| p.at)));
        }
        if current
            && self.mode == Mode::Playing
            && self.pending.as_ref().is_some_and(|p| frame >= p.at)
        {
            self.take_over(out);
        }
        if !self.due.is_empty()
            && current
            && self.mode == Mode::Playing
            && self.in_hold(self.pos).is_none()
        {
            self.say_due(out);
        }
        match self.mode {
            Mode::Paused { last_said } if now.saturating_sub(last_said) >= PAUSE_REMINDER => {
                self.mode = Mode::Paused { last_said: now };
                let ctl = &self.ph.controls;
                let text = if self.keys {
                    ctl.still_paused
                } else {
                    ctl.still_paused_buttons
                };
                self.say(text.to_owned(), out);
            }
            Mode::Playing if finished && self.complete && current && overlay_over => {
                self.mode = Mode::Ended;
                out.push(Action::ClearSaved);
                self.set_status(Playback::Stopped, out);
                out.push(Action::End(Ended::Finished));
            }
            Mode::Quitting { until } if overlay_over || now >= until => {
                self.mode = Mode::Ended;
                out.push(Action::End(Ended::Stopped {
                    at: self.pos,
                    of: self.ix.t.frames,
                }));
            }
            _ => {}
        }
    }

    fn command(&mut self, now: Duration, c: Command, out: &mut Vec<Action>) {
        let ctl = &self.ph.controls;
        match (c, self.mode) {
            (Command::Signal | Command::DeviceGone, _) => {
                self.save_here(out);
                self.mode = Mode::Ended;
                out.push(Action::Pause(true));
                let (at, of) = (self.pos, self.ix.t.frames);
                out.push(Action::End(if c == Command::Signal {
                    Ended::Interrupted { at, of }
                } else {
                    Ended::DeviceLost { at, of }
                }));
            }
            (Command::DeviceLost, Mode::Lost { .. }) => {}
            (Command::DeviceLost, Mode::Quitting { .. }) => {
                // "Stopping" can no longer be heard: stop now.
                self.mode = Mode::Ended;
                out.push(Action::End(Ended::Stopped {
                    at: self.pos,
                    of: self.ix.t.frames,
                }));
            }
            (Command::DeviceLost, mode) => {
                // Saved now: the process may not live to see the sound come back.
                self.save_here(out);
                self.mode = Mode::Lost {
                    paused: matches!(mode, Mode::Paused { .. }),
                };
                out.push(Action::Pause(true));
            }
            // Nothing can be heard: keys get no answer. Stop ends at once; pause is kept for
            // when the sound comes back.
            (Command::Quit, Mode::Lost { .. }) => {
                self.save_here(out);
                self.mode = Mode::Ended;
                out.push(Action::End(Ended::Stopped {
                    at: self.pos,
                    of: self.ix.t.frames,
                }));
            }
            (Command::PlayPause, Mode::Lost { paused }) => {
                self.mode = Mode::Lost { paused: !paused }
            }
            (Command::Pause | Command::Play, Mode::Lost { .. }) => {
                self.mode = Mode::Lost {
                    paused: c == Command::Pause,
                }
            }
            // Said now, or (before the opening, while the sound is lost, inside a hold) when
            // the session plays outside a hold: see `tick`.
            (c, mode) if c.is_notice() && !matches!(mode, Mode::Quitting { .. }) => {
                self.due.push(self.notice(c));
                let playing_free = mode == Mode::Playing && self.in_hold(self.pos).is_none();
                if playing_free || matches!(mode, Mode::Paused { .. }) {
                    self.say_due(out);
                }
            }
            (_, Mode::Lost { .. }) => {}
            (_, Mode::Quitting { .. }) => {}
            (Command::Quit, _) => {
                self.save_here(out);
                self.mode = Mode::Quitting {
                    until: now + QUIT_GRACE,
                };
                out.push(Action::Pause(true));
                self.set_status(Playback::Stopped, out);
                self.overlay(out);
                out.push(Action::SayStopping);
            }
            (Command::PlayPause | Command::Pause, Mode::Playing) => {
                self.mode = Mode::Paused { last_said: now };
                out.push(Action::Pause(true));
                self.set_status(Playback::Paused, out);
                self.say(ctl.paused.to_owned(), out);
            }
            (Command::PlayPause | Command::Play, Mode::Paused { .. }) => self.resume(out),
            (Command::Play | Command::Pause, _) => {}
            // Only while stopping: never said.
            (
                Command::VoiceLost
                | Command::PlaceNotSaved
                | Command::VoiceUnavailable
                | Command::LineLeftOut,
                _,
            ) => {}
            (_, Mode::Starting) => self.soft(out),
            (Command::Next, _) => self.next(out),
            (Command::Back, _) => self.back(now, out),
            (Command::Repeat, _) => self.repeat(out),
            (Command::Where, _) => {
                let text = self.where_am_i();
                self.say(text, out);
            }
            (Command::Faster | Command::Slower, _) => self.rate(c == Command::Faster, out),
            (Command::Louder | Command::Softer, _) => {
                let (lo, hi) = VOLUME_RANGE;
                let v = if c == Command::Louder {
                    (self.volume + VOLUME_STEP).min(hi)
                } else {
                    self.volume.saturating_sub(VOLUME_STEP).max(lo)
                };
                self.volume = v;
                out.push(Action::Gain(Volume::gain_of(v)));
                let text = phrases::fill(ctl.volume, &[("percent", &self.ph.number(v.into()))]);
                self.say(text, out);
            }
            // The help is long (about 11 s): `h` while it is said cuts it, with the soft
            // sound, as any answer cuts the one before.
            (Command::Help, _) if self.help_playing() => {
                self.help_overlay = None;
                self.soft(out);
            }
            (Command::Help, _) => {
                self.say(ctl.help.join(" "), out);
                self.help_overlay = Some(self.overlays_sent);
            }
            (Command::Unknown, _) => self.soft(out),
            (Command::PlayPause, _) => {}
        }
    }

    /// Going on after a pause: inside a hold or a moving rep the rep starts again from its cue
    /// (the person let go); inside a planned line that line is said again from its start; a
    /// timed block goes on where it was.
    fn resume(&mut self, out: &mut Vec<Action>) {
        let p = self.pos;
        // A timed block goes on where it was.
        let to = if let Some(h) = self.in_hold(p).filter(|c| c.kind != CueKind::Timed) {
            self.ix.step_at(h.start).map_or(h.start, |s| s.start)
        } else if let Some(line) = self.ix.audible_at(p).filter(|c| c.kind == CueKind::Speech) {
            line.start
        } else {
            p
        };
        self.mode = Mode::Playing;
        if to != p {
            self.seek(to, out);
        }
        out.push(Action::Pause(false));
        self.set_status(Playback::Playing, out);
        self.say(self.ph.controls.resuming.to_owned(), out);
    }

    /// What a notice says.
    fn notice(&self, c: Command) -> &'static str {
        let ctl = &self.ph.controls;
        match c {
            Command::PlaceNotSaved => ctl.place_not_saved,
            Command::VoiceUnavailable => ctl.voice_unavailable,
            Command::LineLeftOut => ctl.line_left_out,
            _ => ctl.voice_switched,
        }
    }

    /// The notices waiting, as one answer (one answer would cut another).
    fn say_due(&mut self, out: &mut Vec<Action>) {
        let text = std::mem::take(&mut self.due).join(" ");
        self.say(text, out);
    }

    /// The hold, timed block or tempo phase frame `p` is in, its release sound included.
    fn in_hold(&self, p: u64) -> Option<&Cue> {
        self.ix
            .windows
            .iter()
            .map(|&i| &self.ix.t.cues[i])
            .find(|c| {
                matches!(c.kind, CueKind::Hold | CueKind::Timed | CueKind::Phase)
                    && c.start <= p
                    && p < c.end + self.release_len(c.end)
            })
    }

    /// Frames of the release sound that starts at `end`, if there is one.
    fn release_len(&self, end: u64) -> u64 {
        self.ix
            .audible
            .iter()
            .map(|&i| &self.ix.t.cues[i])
            .find(|c| c.kind == CueKind::Sound && c.start == end)
            .map_or(0, Cue::len)
    }

    fn next(&mut self, out: &mut Vec<Action>) {
        let p = self.pos;
        let target = self
            .ix
            .exercises
            .iter()
            .map(|(s, _)| *s)
            .find(|&s| s > p)
            .or_else(|| self.ix.end_step().filter(|&s| s > p));
        match target {
            Some(to) => self.jump(to, self.ph.controls.next, out),
            None => self.soft(out),
        }
    }

    fn back(&mut self, now: Duration, out: &mut Vec<Action>) {
        let p = self.pos;
        let again = self
            .last_back
            .is_some_and(|t| now.saturating_sub(t) <= BACK_AGAIN);
        self.last_back = Some(now);
        let here = self.ix.exercises.iter().rposition(|(s, _)| *s <= p);
        let end = self.ix.end_step().unwrap_or(u64::MAX);
        let to = match here {
            // In the closing lines: back to the start of the last exercise.
            Some(i) if p >= end => self.ix.exercises[i].0,
            Some(i) if again => match i.checked_sub(1) {
                Some(j) => self.ix.exercises[j].0,
                None => 0,
            },
            Some(i) => self.ix.exercises[i].0,
            None => 0,
        };
        self.jump(to, self.ph.controls.back, out);
    }

    /// Moves the cursor to `to` (a step's start) and confirms with a short word.
    fn jump(&mut self, to: u64, word: &'static str, out: &mut Vec<Action>) {
        if let Some(p) = self.pending.as_mut() {
            // A plan at a new rate waits for a boundary: this is one.
            p.at = to;
            self.take_over(out);
        } else {
            self.seek(to, out);
        }
        self.say(word.to_owned(), out);
        self.track_step(false, out);
        self.track_exercise(out);
        self.update_status(out);
    }

    /// An instruction: a line that tells what to do. Count-down numbers and the helper lines
    /// inside a hold or rest ("Hold.", "Halfway.", "Rest for ten seconds.") are not.
    fn is_instruction(&self, c: &Cue) -> bool {
        let count = (0..=20).any(|n| c.text.as_deref() == Some(self.ph.count(n).as_str()));
        let helper = self
            .ix
            .windows
            .iter()
            .map(|&i| &self.ix.t.cues[i])
            .any(|w| w.start <= c.start && c.start < w.end);
        !count && !helper
    }

    /// Repeat: an instruction being said starts again; otherwise the last instruction is said
    /// as an answer (in a hold: the movement, not "Hold." or a count).
    fn repeat(&mut self, out: &mut Vec<Action>) {
        let p = self.pos;
        if let Some(line) = self
            .ix
            .audible_at(p)
            .filter(|c| c.kind == CueKind::Speech && self.is_instruction(c))
        {
            let to = line.start;
            self.seek(to, out);
            return;
        }
        let last = self
            .ix
            .speech
            .iter()
            .map(|&i| &self.ix.t.cues[i])
            .take_while(|c| c.start < p)
            .filter(|c| self.is_instruction(c))
            .last()
            .and_then(|c| c.text.clone());
        match last {
            Some(text) => self.say(text, out),
            None => self.say(self.ph.controls.nothing_to_repeat.to_owned(), out),
        }
    }

    fn rate(&mut self, faster: bool, out: &mut Vec<Action>) {
        let (lo, hi) = crate::voice::espeak::RATE_WPM;
        let ctl = &self.ph.controls;
        let r = if faster {
            (self.rate_wpm + RATE_STEP).min(hi)
        } else {
            self.rate_wpm.saturating_sub(RATE_STEP).max(lo)
        };
        if r == self.rate_wpm {
            let text = if faster { ctl.fastest } else { ctl.slowest };
            self.say(text.to_owned(), out);
            return;
        }
        self.rate_wpm = r;
        out.push(Action::Replan(r));
        self.say(
            (if faster { ctl.faster } else { ctl.slower }).to_owned(),
            out,
        );
    }

    /// True while the help is the answer playing: the last overlay sent, not yet ended.
    fn help_playing(&self) -> bool {
        self.help_overlay == Some(self.overlays_sent) && self.overlays_done < self.overlays_sent
    }

    /// The soft sound for a key that does nothing here: an answer like any other, counted
    /// and gated, so it never shifts the count that tells when spoken answers have ended.
    fn soft(&mut self, out: &mut Vec<Action>) {
        self.overlay(out);
        out.push(Action::Sound(SOFT));
    }

    /// A spoken answer on the overlay lane. While playing, the cursor is held at the next
    /// audible cue until it ends; a planned line it would cut is said again from its start.
    fn say(&mut self, text: String, out: &mut Vec<Action>) {
        self.overlay(out);
        out.push(Action::Say(text));
    }

    fn overlay(&mut self, out: &mut Vec<Action>) {
        self.overlays_sent += 1;
        if self.mode != Mode::Playing {
            return;
        }
        let p = self.pos;
        let gate = match self.ix.audible_at(p) {
            Some(c) => {
                let start = c.start;
                self.seek(start, out);
                start
            }
            None => self.ix.next_audible_from(p),
        };
        let gate = self.pending.as_ref().map_or(gate, |w| gate.min(w.at));
        self.gated = true;
        out.push(Action::Gate(Some(gate)));
    }

    /// Moves the cursor to `to`, marked so that reports from before the move are ignored.
    fn seek(&mut self, to: u64, out: &mut Vec<Action>) {
        out.push(Action::Seek(to));
        self.remark(out);
        self.moved_to(to);
    }

    fn remark(&mut self, out: &mut Vec<Action>) {
        self.mark = self.mark.wrapping_add(1);
        out.push(Action::Mark(self.mark));
    }

    /// After a seek to `to`: the transcript goes on from the first line at or after it.
    fn moved_to(&mut self, to: u64) {
        self.pos = to;
        self.next_line = self
            .ix
            .speech
            .partition_point(|&i| self.ix.t.cues[i].start < to);
    }

    /// Tells the step now playing when it changes ([`Action::Reached`]): `played` when the
    /// cursor played into it. The same step of a plan at a new rate is the same step.
    fn track_step(&mut self, played: bool, out: &mut Vec<Action>) {
        let Some(step) = self.ix.step_at(self.pos).and_then(|c| c.step.as_ref()) else {
            return;
        };
        if self.reached.as_ref() != Some(step) {
            self.reached = Some(step.clone());
            out.push(Action::Reached {
                step: step.clone(),
                played,
            });
        }
    }

    /// Saves the exercise being played when it changes, so even a killed process can resume.
    fn track_exercise(&mut self, out: &mut Vec<Action>) {
        let Some(ex) = self.ix.step_at(self.pos).and_then(|c| c.exercise.clone()) else {
            return;
        };
        if self.saved.as_ref() != Some(&ex) {
            let name = self
                .ix
                .names
                .get(&ex)
                .cloned()
                .unwrap_or_else(|| ex.clone());
            self.saved = Some(ex.clone());
            out.push(Action::Save { exercise: ex, name });
        }
    }

    /// On stop or signal: the exercise now playing is the place to resume from; past the last
    /// exercise there is nothing left to resume.
    fn save_here(&mut self, out: &mut Vec<Action>) {
        match self.ix.step_at(self.pos).and_then(|c| c.step.as_ref()) {
            Some(s) if s.phase == StepPhase::End => out.push(Action::ClearSaved),
            _ => {
                self.saved = None;
                self.track_exercise(out);
            }
        }
    }

    fn update_status(&mut self, out: &mut Vec<Action>) {
        let playback = match self.mode {
            Mode::Paused { .. } => Playback::Paused,
            Mode::Playing => Playback::Playing,
            _ => Playback::Stopped,
        };
        self.set_status(playback, out);
    }

    fn set_status(&mut self, playback: Playback, out: &mut Vec<Action>) {
        let s = (playback, self.title());
        if self.status.as_ref() != Some(&s) {
            self.status = Some(s.clone());
            out.push(Action::Status(s.0, s.1));
        }
    }
}

/// The soft sound for a key that does nothing here.
pub const SOFT: &str = "tick";

#[cfg(test)]
mod simulation;
#[cfg(test)]
mod tests;
