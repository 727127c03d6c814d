//! The conductor: a pure state machine over the timeline. It is fed [`Event`]s (commands from
//! keys, media buttons and signals; position reports from the deck; "a program is ready") and
//! answers with [`Action`]s (seek, pause, gain, gate, overlay speech or sound, a transcript
//! line, save the position, end). No clock, no I/O, no audio: time arrives with each event, and
//! tests move frames by hand.
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
//! - A position survives replanning (a new speech rate) by the step's stable id.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

pub use crate::control::{Command, Playback};
use crate::phrases::{self, Phrases};
use crate::plan::step::Phase as StepPhase;
use crate::plan::{Cue, CueKind, SideName, Timeline};
use crate::volume::Volume;

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

/// What the conductor asks the loop to do. The deck actions of one [`Conductor::handle`] call
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
    /// for the lines that only help (count-down numbers, "Hold.", tempo words, time checks).
    Print {
        text: String,
        instruction: bool,
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

/// The slowest and fastest speech rates the keys reach, words per minute (espeak-ng's range
/// for clear speech is about 80 to 450).
pub const RATE_RANGE: (u32, u32) = crate::voice::espeak::RATE_WPM;
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

/// Where things are in one timeline, for quick lookups.
#[derive(Debug, Default)]
struct Index {
    steps: Vec<usize>,
    speech: Vec<usize>,
    audible: Vec<usize>,
    /// Holds, timed blocks, tempo phases and rests: windows whose lines only help.
    windows: Vec<usize>,
    /// The first step of each exercise (its setup step): start frame and exercise id.
    exercises: Vec<(u64, String)>,
    names: HashMap<String, String>,
    /// Exercises whose sides alternate every rep (their reps are called rounds).
    alternating: HashSet<String>,
    /// Reps per (exercise, set, side), the highest rep number seen.
    reps: HashMap<(String, Option<u32>, Option<SideName>), u32>,
    sets: HashMap<String, u32>,
}

impl Index {
    fn new(t: &Timeline) -> Index {
        let mut ix = Index::default();
        let mut last_rep: Option<&Cue> = None;
        for (i, c) in t.cues.iter().enumerate() {
            match c.kind {
                CueKind::Step => {
                    ix.steps.push(i);
                    if let (Some(ex), Some(id)) = (&c.exercise, &c.step) {
                        if id.phase == StepPhase::Setup {
                            ix.exercises.push((c.start, ex.clone()));
                        }
                        if let Some(rep) = c.rep {
                            let k = (ex.clone(), c.set, c.side);
                            let e = ix.reps.entry(k).or_default();
                            *e = (*e).max(rep);
                            if let Some(prev) = last_rep
                                && prev.exercise == c.exercise
                                && prev.rep == c.rep
                                && prev.set == c.set
                                && prev.side != c.side
                            {
                                ix.alternating.insert(ex.clone());
                            }
                            last_rep = Some(c);
                        }
                        if let Some(set) = c.set {
                            let e = ix.sets.entry(ex.clone()).or_default();
                            *e = (*e).max(set);
                        }
                    }
                }
                CueKind::Speech => {
                    ix.speech.push(i);
                    ix.audible.push(i);
                }
                CueKind::Sound => ix.audible.push(i),
                CueKind::Hold | CueKind::Timed | CueKind::Phase | CueKind::Rest => {
                    ix.windows.push(i)
                }
                CueKind::Exercise => {
                    if let (Some(ex), Some(name)) = (&c.exercise, &c.text) {
                        ix.names.insert(ex.clone(), name.clone());
                    }
                }
                _ => {}
            }
        }
        // Cues are sorted by start, so each list is too.
        ix
    }
}

/// The live session's state machine. See the module doc.
pub struct Conductor {
    ph: &'static Phrases,
    /// The routine's title, for media clients outside the exercises.
    title: String,
    t: Arc<Timeline>,
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
    gated: bool,
    last_back: Option<Duration>,
    volume: u32,
    rate_wpm: u32,
    /// The exercise last saved as the place to resume from.
    saved: Option<String>,
    status: Option<(Playback, String)>,
    /// The step (an index into `ix.steps`) the last tick was in.
    last_step: Option<usize>,
    /// The person has a terminal's keys (otherwise only headset or media buttons).
    keys: bool,
}

impl Conductor {
    /// A conductor for a session spoken with `ph`, starting at `volume` percent and
    /// `rate_wpm` words per minute. It waits for the first [`Event::Ready`].
    pub fn new(ph: &'static Phrases, volume: Volume, rate_wpm: u32) -> Conductor {
        Conductor {
            ph,
            title: String::new(),
            t: Arc::new(Timeline::default()),
            ix: Index::default(),
            mark: 0,
            complete: false,
            mode: Mode::Starting,
            pos: 0,
            next_line: 0,
            overlays_sent: 0,
            overlays_done: 0,
            gated: false,
            last_back: None,
            volume: volume.played(),
            rate_wpm,
            saved: None,
            status: None,
            last_step: None,
            keys: true,
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
        &self.t
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
        self.gated = false;
        if self.t.frames == 0 {
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
            let to = self.step_at(self.pos).map_or(self.pos, |s| s.start);
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
            || (matches!(self.mode, Mode::Lost { .. }) && self.t.frames == 0);
        let same_rate_growth = !first && self.prefix_of(&timeline);
        let seek = if first || same_rate_growth {
            None
        } else {
            // A new rate: go on from the start of the same step in the new timeline.
            let id = self.step_at(self.pos).and_then(|c| c.step.clone());
            let to = id
                .and_then(|id| {
                    timeline
                        .cues
                        .iter()
                        .find(|c| c.kind == CueKind::Step && c.step.as_ref() == Some(&id))
                        .map(|c| c.start)
                })
                .unwrap_or(0);
            Some(to)
        };
        self.t = timeline;
        self.ix = Index::new(&self.t);
        self.last_step = None;
        self.complete = complete;
        out.push(Action::Load {
            generation,
            complete,
        });
        self.remark(out);
        if let Some(to) = seek {
            self.seek(to, out);
            if self.overlays_done < self.overlays_sent && !self.is_paused() {
                let gate = self.next_audible_from(to);
                self.gated = true;
                out.push(Action::Gate(Some(gate)));
            } else if self.gated {
                // The old gate was a frame of the old program.
                self.gated = false;
                out.push(Action::Gate(None));
            }
        }
        if first {
            if self.mode == Mode::Starting {
                self.mode = Mode::Playing;
            }
            self.pos = 0;
            self.next_line = 0;
            self.update_status(out);
        }
    }

    /// True when `t` begins with the playing timeline's frames (the whole session after its
    /// opening, at the same rate).
    fn prefix_of(&self, t: &Timeline) -> bool {
        t.sample_rate == self.t.sample_rate
            && t.frames >= self.t.frames
            && self
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
            // The transcript: every planned line whose first frame has been played.
            while let Some(&i) = self.ix.speech.get(self.next_line) {
                let c = &self.t.cues[i];
                if c.start >= frame {
                    break;
                }
                out.push(Action::Print {
                    text: c.text.clone().unwrap_or_default(),
                    instruction: self.is_instruction(c),
                });
                self.next_line += 1;
            }
            // The exercise and the title change only with the step: look them up only then,
            // so a tick in a hold does no work and allocates nothing.
            let step = self
                .ix
                .steps
                .partition_point(|&i| self.t.cues[i].start <= frame);
            if matches!(self.mode, Mode::Playing) && self.last_step != Some(step) {
                self.last_step = Some(step);
                self.track_exercise(out);
                self.update_status(out);
            }
        }
        if self.gated && overlay_over {
            self.gated = false;
            out.push(Action::Gate(None));
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
                    of: self.t.frames,
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
                let (at, of) = (self.pos, self.t.frames);
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
                    of: self.t.frames,
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
                    of: self.t.frames,
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
            (Command::Help, _) => self.say(ctl.help.join(" "), out),
            (Command::Unknown, _) => self.soft(out),
            (Command::PlayPause, _) => {}
        }
    }

    /// Going on after a pause: inside a hold or a moving rep the rep starts again from its cue
    /// (the person let go); inside a planned line that line is said again from its start; a
    /// timed block goes on where it was.
    fn resume(&mut self, out: &mut Vec<Action>) {
        let p = self.pos;
        let in_hold = self.ix.windows.iter().map(|&i| &self.t.cues[i]).find(|c| {
            matches!(c.kind, CueKind::Hold | CueKind::Phase)
                && c.start <= p
                && p < c.end + self.release_len(c.end)
        });
        let to = if let Some(h) = in_hold {
            self.step_at(h.start).map_or(h.start, |s| s.start)
        } else if let Some(line) = self.audible_at(p).filter(|c| c.kind == CueKind::Speech) {
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

    /// Frames of the release sound that starts at `end`, if there is one.
    fn release_len(&self, end: u64) -> u64 {
        self.ix
            .audible
            .iter()
            .map(|&i| &self.t.cues[i])
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
            .or_else(|| self.end_step().filter(|&s| s > p));
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
        let end = self.end_step().unwrap_or(u64::MAX);
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
        self.seek(to, out);
        self.say(word.to_owned(), out);
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
            .map(|&i| &self.t.cues[i])
            .any(|w| w.start <= c.start && c.start < w.end);
        !count && !helper
    }

    /// Repeat: an instruction being said starts again; otherwise the last instruction is said
    /// as an answer (in a hold: the movement, not "Hold." or a count).
    fn repeat(&mut self, out: &mut Vec<Action>) {
        let p = self.pos;
        if let Some(line) = self
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
            .map(|&i| &self.t.cues[i])
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
        let (lo, hi) = RATE_RANGE;
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
        let gate = match self.audible_at(p) {
            Some(c) => {
                let start = c.start;
                self.seek(start, out);
                start
            }
            None => self.next_audible_from(p),
        };
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
            .partition_point(|&i| self.t.cues[i].start < to);
    }

    /// The audible cue sounding at `p`, if any.
    fn audible_at(&self, p: u64) -> Option<&Cue> {
        self.ix
            .audible
            .iter()
            .map(|&i| &self.t.cues[i])
            .take_while(|c| c.start <= p)
            .filter(|c| p < c.end && c.start < p)
            .last()
    }

    /// The first frame at or after `p` where something audible starts (or the end).
    fn next_audible_from(&self, p: u64) -> u64 {
        let k = self
            .ix
            .audible
            .partition_point(|&i| self.t.cues[i].start < p);
        self.ix
            .audible
            .get(k)
            .map_or(self.t.frames, |&i| self.t.cues[i].start)
    }

    fn step_at(&self, p: u64) -> Option<&Cue> {
        let k = self
            .ix
            .steps
            .partition_point(|&i| self.t.cues[i].start <= p);
        let i = *self.ix.steps.get(k.checked_sub(1)?)?;
        Some(&self.t.cues[i])
    }

    fn end_step(&self) -> Option<u64> {
        self.ix
            .steps
            .iter()
            .map(|&i| &self.t.cues[i])
            .find(|c| c.step.as_ref().is_some_and(|s| s.phase == StepPhase::End))
            .map(|c| c.start)
    }

    /// Saves the exercise being played when it changes, so even a killed process can resume.
    fn track_exercise(&mut self, out: &mut Vec<Action>) {
        let Some(ex) = self.step_at(self.pos).and_then(|c| c.exercise.clone()) else {
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
        match self.step_at(self.pos).and_then(|c| c.step.as_ref()) {
            Some(s) if s.phase == StepPhase::End => out.push(Action::ClearSaved),
            _ => {
                self.saved = None;
                self.track_exercise(out);
            }
        }
    }

    /// The title media clients show: the exercise and side, or the routine's part.
    fn title(&self) -> String {
        let Some(step) = self.step_at(self.pos) else {
            return String::new();
        };
        match (&step.exercise, &step.side) {
            (Some(ex), side) => {
                let name = self.ix.names.get(ex).cloned().unwrap_or_else(|| ex.clone());
                match side {
                    Some(s) => format!(
                        "{name}, {}",
                        phrases::fill(
                            self.ph.controls.where_side,
                            &[("side", crate::routine::Side::from(*s).word(self.ph))]
                        )
                    ),
                    None => name,
                }
            }
            (None, _) if !self.title.is_empty() => self.title.clone(),
            (None, _) => self.t.routine.clone(),
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

    /// "Knee lifts, left leg, round 4 of 10. Six seconds left. About nine minutes to go."
    pub fn where_am_i(&self) -> String {
        let ctl = &self.ph.controls;
        let p = self.pos;
        let rate = f64::from(self.t.sample_rate.max(1));
        let mut parts: Vec<String> = Vec::new();
        let step = self.step_at(p);
        let id = step
            .and_then(|s| s.step.clone())
            .unwrap_or_else(crate::plan::Step::start);
        match (id.phase, step.and_then(|s| s.exercise.as_ref())) {
            (StepPhase::End, _) => parts.push(ctl.where_finishing.to_owned()),
            (StepPhase::Start, _) | (_, None) => parts.push(ctl.where_getting_ready.to_owned()),
            (_, Some(ex)) => {
                let step = step.expect("an exercise step");
                let mut head = vec![self.ix.names.get(ex).cloned().unwrap_or_else(|| ex.clone())];
                if let Some(s) = &step.side {
                    head.push(phrases::fill(
                        ctl.where_side,
                        &[("side", crate::routine::Side::from(*s).word(self.ph))],
                    ));
                }
                // "Rep 1 of 1" says nothing: a single rep or a timed block is not counted.
                let k = (ex.clone(), step.set, step.side);
                if let Some(rep) = step.rep
                    && let total = self.ix.reps.get(&k).copied().unwrap_or(rep)
                    && total > 1
                {
                    let form = if self.ix.alternating.contains(ex) {
                        ctl.where_round
                    } else {
                        ctl.where_rep
                    };
                    head.push(phrases::fill(
                        form,
                        &[("n", &rep.to_string()), ("total", &total.to_string())],
                    ));
                }
                if let (Some(set), Some(&sets)) = (step.set, self.ix.sets.get(ex)) {
                    head.push(phrases::fill(
                        ctl.where_set,
                        &[("n", &set.to_string()), ("total", &sets.to_string())],
                    ));
                }
                if matches!(id.phase, StepPhase::Switch { .. }) {
                    head.push(ctl.where_switching.to_owned());
                } else if id.is_rest() {
                    head.push(ctl.where_resting.to_owned());
                }
                parts.push(format!("{}.", head.join(", ")));
            }
        }
        // Time left in the hold, timed block or rest the person is in.
        if let Some(w) = self
            .ix
            .windows
            .iter()
            .map(|&i| &self.t.cues[i])
            .find(|c| c.kind != CueKind::Phase && c.start <= p && p < c.end)
        {
            let secs = ((w.end - p) as f64 / rate).ceil();
            let text = phrases::fill(ctl.where_left, &[("duration", &self.ph.duration(secs))]);
            parts.push(phrases::capitalise(&text));
        }
        let left = self.t.frames.saturating_sub(p) as f64 / rate;
        if left < 60.0 {
            parts.push(ctl.where_under_a_minute.to_owned());
        } else {
            let minutes = (left / 60.0).round() * 60.0;
            parts.push(phrases::fill(
                ctl.where_to_go,
                &[("duration", &self.ph.duration(minutes))],
            ));
        }
        parts.join(" ")
    }
}

/// The soft sound for a key that does nothing here.
pub const SOFT: &str = "tick";

#[cfg(test)]
mod tests {
    //! Every command at every kind of cue, with frames moved by hand and no audio.
    use super::*;
    use crate::plan::{self, PlanOptions};
    use crate::render::SoundBank;
    use crate::routine::{self, Origin};
    use crate::voice::{PhraseCache, StandIn};

    const RATE: u32 = 22050;
    const ROUTINE: &str = r#"
        id = "t"
        title = "Test"
        lead_in_secs = 3
        [[exercise]]
        id = "lifts"
        name = "Lifts"
        setup = "Lie on your back."
        cue = "Lift your {side} leg."
        release = "Down."
        sides = "left-then-right"
        reps = 2
        hold_secs = 8
        tempo_secs = 1
        rest_between_reps_secs = 6
        countdown = 3
        [[exercise]]
        id = "bridge"
        name = "Bridge"
        cue = "Lift your hips."
        release = "Down."
        reps = 2
        sets = 2
        hold_secs = 3
        rest_between_sets_secs = 5
        [[exercise]]
        id = "squeeze"
        name = "Squeeze"
        cue = "Squeeze."
        reps = 1
        hold_secs = 2
    "#;

    fn timeline(text: &str, after_speech_secs: f64) -> Arc<Timeline> {
        let r = routine::parse("t.toml", text, Origin::Builtin).unwrap();
        let bank = SoundBank::builtin(RATE).unwrap();
        let mut voice = PhraseCache::new(Box::new(StandIn::new(RATE)));
        let mut o = PlanOptions::new(RATE);
        o.pacing.after_speech_secs = after_speech_secs;
        Arc::new(plan::plan(&r, &mut voice, &|s| bank.frames(s), &o).unwrap())
    }

    /// A conductor playing the whole test session, and the time it thinks it is.
    struct T {
        c: Conductor,
        now: Duration,
        done: u32,
    }

    impl T {
        fn new() -> T {
            static PLAN: std::sync::OnceLock<Arc<Timeline>> = std::sync::OnceLock::new();
            T::over(PLAN.get_or_init(|| timeline(ROUTINE, 0.4)).clone())
        }

        /// A conductor playing `timeline` from its start.
        fn over(timeline: Arc<Timeline>) -> T {
            let mut c = Conductor::new(&crate::phrases::EN, Volume::percent(80), 160);
            let acts = c.handle(
                Duration::ZERO,
                Event::Ready {
                    generation: 1,
                    timeline,
                    complete: true,
                    rate_wpm: 160,
                },
            );
            assert!(acts.contains(&Action::Load {
                generation: 1,
                complete: true
            }));
            assert!(acts.contains(&Action::Status(Playback::Playing, "t".into())));
            T {
                c,
                now: Duration::ZERO,
                done: 0,
            }
        }

        fn t(&self) -> Arc<Timeline> {
            self.c.t.clone()
        }

        /// The deck reports `frame`; every overlay sent so far has ended if `overlays_over`.
        fn tick_with(&mut self, frame: u64, overlays_over: bool, finished: bool) -> Vec<Action> {
            if overlays_over {
                self.done = self.c.overlays_sent;
            }
            self.c.handle(
                self.now,
                Event::Tick {
                    frame,
                    mark: self.c.mark,
                    overlays_done: self.done,
                    finished,
                },
            )
        }

        fn tick(&mut self, frame: u64) -> Vec<Action> {
            self.tick_with(frame, true, false)
        }

        fn cmd(&mut self, c: Command) -> Vec<Action> {
            self.c.handle(self.now, Event::Command(c))
        }

        fn cue(&self, kind: CueKind, n: usize) -> Cue {
            self.t().of_kind(kind).nth(n).unwrap().clone()
        }

        fn step(&self, id: &str) -> Cue {
            let t = self.t();
            let found = t.cues.iter().find(|c| {
                c.kind == CueKind::Step
                    && c.step.as_ref().map(ToString::to_string).as_deref() == Some(id)
            });
            found.unwrap_or_else(|| panic!("no step {id}")).clone()
        }
    }

    fn seeks(a: &[Action]) -> Vec<u64> {
        a.iter()
            .filter_map(|x| match x {
                Action::Seek(f) => Some(*f),
                _ => None,
            })
            .collect()
    }

    fn gates(a: &[Action]) -> Vec<Option<u64>> {
        a.iter()
            .filter_map(|x| match x {
                Action::Gate(g) => Some(*g),
                _ => None,
            })
            .collect()
    }

    fn said(a: &[Action]) -> Vec<String> {
        a.iter()
            .filter_map(|x| match x {
                Action::Say(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    fn printed(a: &[Action]) -> Vec<String> {
        a.iter()
            .filter_map(|x| match x {
                Action::Print { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    fn lines_between(t: &Timeline, from: u64, to: u64) -> Vec<String> {
        t.of_kind(CueKind::Speech)
            .filter(|c| c.start >= from && c.start < to)
            .map(|c| c.text.clone().unwrap())
            .collect()
    }

    #[test]
    fn the_transcript_prints_each_line_once_as_it_is_reached() {
        let mut s = T::new();
        let t = s.t();
        let mut all = Vec::new();
        let mut f = 0;
        while f <= t.frames {
            all.extend(printed(&s.tick(f)));
            f += 1000;
        }
        all.extend(printed(&s.tick(t.frames)));
        assert_eq!(all, lines_between(&t, 0, t.frames + 1));
    }

    #[test]
    fn entering_an_exercise_saves_it_and_names_it_for_media_clients() {
        let mut s = T::new();
        let setup = s.step("lifts/setup");
        let a = s.tick(setup.start + 1);
        assert!(a.contains(&Action::Save {
            exercise: "lifts".into(),
            name: "Lifts".into()
        }));
        assert!(a.contains(&Action::Status(Playback::Playing, "Lifts".into())));
        let rep = s.step("lifts/set-1/right/rep-1");
        let a = s.tick(rep.start + 1);
        assert!(a.contains(&Action::Status(
            Playback::Playing,
            "Lifts, right leg".into()
        )));
        assert!(!a.iter().any(|x| matches!(x, Action::Save { .. })));
    }

    #[test]
    fn pause_inside_a_countdown_restarts_the_rep_from_its_cue() {
        let mut s = T::new();
        let hold = s.cue(CueKind::Hold, 1);
        // A count-down number of that hold.
        let three = s
            .t()
            .of_kind(CueKind::Speech)
            .find(|c| {
                c.start > hold.start && c.end < hold.end && c.text.as_deref() == Some("Three.")
            })
            .unwrap()
            .clone();
        s.tick(three.start + 10);
        let a = s.cmd(Command::PlayPause);
        assert!(a.contains(&Action::Pause(true)));
        assert_eq!(said(&a), ["Paused."]);
        assert!(gates(&a).is_empty(), "paused: nothing to hold back");
        assert!(a.contains(&Action::Status(Playback::Paused, "Lifts, left leg".into())));
        assert!(s.c.is_paused());
        s.now += Duration::from_secs(30);
        let a = s.cmd(Command::PlayPause);
        let rep = s.step("lifts/set-1/left/rep-2");
        assert!(rep.start < hold.start && hold.start < rep.end);
        assert_eq!(seeks(&a), [rep.start], "back to the rep's first line");
        assert!(a.contains(&Action::Pause(false)));
        assert_eq!(said(&a), ["Going on."]);
        // The answer plays before the rep's first line: the cursor waits there.
        assert_eq!(gates(&a), [Some(rep.start)]);
        // The rep's lines are printed again as they are said again.
        let a = s.tick_with(rep.start, false, false);
        assert!(
            printed(&a).is_empty() && gates(&a).is_empty(),
            "held: {a:?}"
        );
        let a = s.tick(rep.start);
        assert_eq!(gates(&a), [None], "the answer ended: the gate opens");
        let p = printed(&s.tick(hold.start));
        assert_eq!(p, lines_between(&s.t(), rep.start, hold.start));
    }

    #[test]
    fn pause_inside_a_line_says_the_line_again_and_in_silence_goes_on_where_it_was() {
        let mut s = T::new();
        let line = s
            .t()
            .of_kind(CueKind::Speech)
            .find(|c| c.text.as_deref() == Some("Lie on your back."))
            .unwrap()
            .clone();
        s.tick(line.start + 100);
        s.cmd(Command::Pause);
        let a = s.cmd(Command::Play);
        assert_eq!(seeks(&a), [line.start]);
        // In a rest: no seek, the rest goes on (it is not a hold).
        let rest = s.cue(CueKind::Rest, 0);
        let quiet = rest.start + (rest.end - rest.start) / 2;
        assert!(s.c.audible_at(quiet).is_none());
        s.tick(quiet);
        s.cmd(Command::PlayPause);
        let a = s.cmd(Command::PlayPause);
        assert!(seeks(&a).is_empty());
        assert!(a.contains(&Action::Pause(false)));
    }

    #[test]
    fn a_long_pause_is_reminded() {
        let mut s = T::new();
        s.tick(1000);
        s.cmd(Command::PlayPause);
        s.now += PAUSE_REMINDER - Duration::from_secs(1);
        assert!(said(&s.tick(1000)).is_empty());
        s.now += Duration::from_secs(2);
        assert_eq!(said(&s.tick(1000)), ["Still paused. Press space to go on."]);
        assert!(said(&s.tick(1000)).is_empty(), "once per interval");
    }

    #[test]
    fn next_goes_to_each_exercise_then_the_end_and_never_dumps_skipped_lines() {
        let mut s = T::new();
        let (lifts, bridge, squeeze, end) = (
            s.step("lifts/setup").start,
            s.step("bridge/setup").start,
            s.step("squeeze/setup").start,
            s.step("end").start,
        );
        s.tick(100);
        let a = s.cmd(Command::Next);
        assert_eq!(seeks(&a), [lifts]);
        assert_eq!(said(&a), ["Next."]);
        // Only from where it went: the opening's lines after the key are never printed.
        let p = printed(&s.tick(lifts + 10));
        assert_eq!(p, ["Exercise 1 of 3: Lifts."]);
        s.tick(lifts + 50_000);
        assert_eq!(seeks(&s.cmd(Command::Next)), [bridge]);
        let p = printed(&s.tick(bridge + 80_000));
        assert_eq!(p, lines_between(&s.t(), bridge, bridge + 80_000));
        assert_eq!(p[0], "Exercise 2 of 3: Bridge.");
        assert_eq!(seeks(&s.cmd(Command::Next)), [squeeze]);
        s.tick(squeeze + 10);
        assert_eq!(seeks(&s.cmd(Command::Next)), [end]);
        s.tick(end + 10);
        let a = s.cmd(Command::Next);
        assert!(
            seeks(&a).iter().all(|&f| f <= end + 10),
            "never forward: {a:?}"
        );
        assert!(a.contains(&Action::Sound(SOFT)));
    }

    #[test]
    fn back_goes_to_this_exercise_then_quickly_again_to_the_one_before() {
        let mut s = T::new();
        let (lifts, bridge) = (s.step("lifts/setup").start, s.step("bridge/setup").start);
        let deep = s.step("bridge/set-2/rep-1").start + 100;
        s.tick(deep);
        s.now = Duration::from_secs(100);
        let a = s.cmd(Command::Back);
        assert_eq!(seeks(&a), [bridge]);
        assert_eq!(said(&a), ["Back."]);
        let p = printed(&s.tick(bridge + 60_000));
        assert_eq!(p[0], "Exercise 2 of 3: Bridge.", "going back prints again");
        s.now += Duration::from_secs(2);
        assert_eq!(seeks(&s.cmd(Command::Back)), [lifts]);
        s.tick(lifts + 10);
        // Slowly: the start of this exercise again, not the intro.
        s.now += BACK_AGAIN + Duration::from_secs(1);
        assert_eq!(seeks(&s.cmd(Command::Back)), [lifts]);
        // Quickly, at the first exercise: the start of the session.
        s.now += Duration::from_secs(1);
        assert_eq!(seeks(&s.cmd(Command::Back)), [0]);
        // In the opening, back is the start of the session.
        s.tick(500);
        s.now += Duration::from_secs(10);
        assert_eq!(seeks(&s.cmd(Command::Back)), [0]);
    }

    #[test]
    fn an_answer_inside_a_hold_lengthens_it_only_up_to_the_next_sound() {
        let mut s = T::new();
        let hold = s.cue(CueKind::Hold, 0);
        let p = hold.start + (f64::from(RATE) * 2.5) as u64;
        assert!(s.c.audible_at(p).is_none(), "a quiet moment of the hold");
        s.tick(p);
        let a = s.cmd(Command::Where);
        assert!(
            seeks(&a).is_empty(),
            "a hold is never restarted by a question"
        );
        let next = s.c.next_audible_from(p);
        assert!(next > p && next < hold.end + 1);
        assert_eq!(gates(&a), [Some(next)]);
        let text = &said(&a)[0];
        assert_eq!(
            text,
            "Lifts, left leg, rep 1 of 2. Six seconds left. About three minutes to go."
        );
        assert_eq!(
            printed(&a),
            Vec::<String>::new(),
            "the loop prints what is said"
        );
        // A single rep is not counted: no "rep 1 of 1".
        let hold = s
            .t()
            .of_kind(CueKind::Hold)
            .find(|h| h.exercise.as_deref() == Some("squeeze"))
            .unwrap()
            .clone();
        s.tick(hold.start + 100);
        let a = s.cmd(Command::Where);
        assert!(said(&a)[0].starts_with("Squeeze. "), "{:?}", said(&a));
    }

    #[test]
    fn an_answer_never_talks_over_a_planned_line() {
        let mut s = T::new();
        let line = s
            .t()
            .of_kind(CueKind::Speech)
            .find(|c| c.text.as_deref() == Some("Lift your left leg."))
            .unwrap()
            .clone();
        s.tick(line.start + 2000);
        let a = s.cmd(Command::Help);
        assert_eq!(
            seeks(&a),
            [line.start],
            "the line is said again after the answer"
        );
        assert_eq!(gates(&a), [Some(line.start)]);
        assert!(said(&a)[0].starts_with("Space: pause, or go on."));
        // A report from before the seek is stale and prints nothing.
        let old_mark = s.c.mark.wrapping_sub(1);
        let a = s.c.handle(
            s.now,
            Event::Tick {
                frame: line.start + 4000,
                mark: old_mark,
                overlays_done: 0,
                finished: false,
            },
        );
        assert!(printed(&a).is_empty());
        assert_eq!(s.c.position(), line.start);
        let p = printed(&s.tick(line.start + 1));
        assert_eq!(p, ["Lift your left leg."]);
    }

    #[test]
    fn repeat_says_the_last_instruction_not_a_count() {
        let mut s = T::new();
        let hold = s.cue(CueKind::Hold, 0);
        // After the count-down's last number, before the release.
        s.tick(hold.end - 10);
        let a = s.cmd(Command::Repeat);
        assert_eq!(said(&a), ["Lift your left leg."]);
        // Inside a count-down number: the movement again, not the number.
        let two = s
            .t()
            .of_kind(CueKind::Speech)
            .find(|c| c.start > hold.start && c.text.as_deref() == Some("Two."))
            .unwrap()
            .clone();
        s.tick(two.start + 100);
        let a = s.cmd(Command::Repeat);
        assert_eq!(said(&a), ["Lift your left leg."]);
        // Inside a line: that line from its start, no second voice.
        let line = s
            .t()
            .of_kind(CueKind::Speech)
            .find(|c| c.text.as_deref() == Some("Down."))
            .unwrap()
            .clone();
        s.tick(line.start + 50);
        let a = s.cmd(Command::Repeat);
        assert_eq!(seeks(&a), [line.start]);
        assert!(said(&a).is_empty());
        // At the very start there is nothing yet.
        let mut fresh = T::new();
        assert_eq!(
            said(&fresh.cmd(Command::Repeat)),
            ["Nothing to repeat yet."]
        );
    }

    #[test]
    fn where_am_i_at_the_start_in_a_rest_between_sets_and_at_the_end() {
        let mut s = T::new();
        s.tick(10);
        let w = said(&s.cmd(Command::Where))[0].clone();
        assert!(w.starts_with("Getting ready. About "), "{w}");
        assert!(w.ends_with(" to go."), "{w}");
        let step = s.step("bridge/set-1/rest");
        let rest = s
            .t()
            .of_kind(CueKind::Rest)
            .find(|c| c.start >= step.start && c.end <= step.end)
            .unwrap()
            .clone();
        s.tick(rest.end - RATE as u64 * 2 - 10);
        let w = said(&s.cmd(Command::Where))[0].clone();
        assert_eq!(
            w,
            "Bridge, set 1 of 2, resting. Three seconds left. Less than a minute to go."
        );
        let rep = s.step("bridge/set-2/rep-2");
        s.tick(rep.start + 10);
        let w = said(&s.cmd(Command::Where))[0].clone();
        assert!(w.starts_with("Bridge, rep 2 of 2, set 2 of 2."), "{w}");
        let end = s.step("end");
        s.tick(end.start + 10);
        assert!(said(&s.cmd(Command::Where))[0].starts_with("Finishing."));
    }

    #[test]
    fn where_am_i_in_the_rest_after_an_exercise_says_it_is_resting() {
        let text = r#"
            id = "t"
            title = "Test"
            [[exercise]]
            id = "lifts"
            name = "Lifts"
            cue = "Lift."
            reps = 1
            hold_secs = 2
            rest_after_secs = 20
            [[exercise]]
            id = "bridge"
            name = "Bridge"
            cue = "Lift your hips."
            reps = 1
            hold_secs = 2
        "#;
        let mut s = T::over(timeline(text, 0.4));
        let step = s.step("lifts/rest-after");
        s.tick(step.start + RATE as u64);
        let w = said(&s.cmd(Command::Where))[0].clone();
        assert!(w.starts_with("Lifts, resting. "), "{w}");
    }

    #[test]
    fn volume_keys_change_the_gain_within_range_and_say_it() {
        let mut s = T::new();
        s.tick(10);
        let a = s.cmd(Command::Louder);
        assert!(a.contains(&Action::Gain(0.9)));
        assert_eq!(said(&a), ["Volume ninety percent."]);
        s.cmd(Command::Louder);
        let a = s.cmd(Command::Louder);
        assert!(a.contains(&Action::Gain(1.0)), "never above 100%");
        for _ in 0..12 {
            s.cmd(Command::Softer);
        }
        let a = s.cmd(Command::Softer);
        assert!(a.contains(&Action::Gain(0.1)), "never silent: {a:?}");
    }

    #[test]
    fn a_new_rate_goes_on_at_the_same_step_of_the_new_plan() {
        let mut s = T::new();
        let rep = s.step("lifts/set-1/right/rep-2");
        s.tick(rep.start + 3000);
        let a = s.cmd(Command::Faster);
        assert!(a.contains(&Action::Replan(180)));
        assert_eq!(said(&a), ["Faster."]);
        // A plan made at the old rate arriving late is ignored.
        let stale = s.c.handle(
            s.now,
            Event::Ready {
                generation: 2,
                timeline: timeline(ROUTINE, 0.4),
                complete: true,
                rate_wpm: 160,
            },
        );
        assert!(stale.is_empty());
        let new = timeline(ROUTINE, 0.2);
        let new_rep = new
            .cues
            .iter()
            .find(|c| {
                c.step.as_ref().map(ToString::to_string).as_deref()
                    == Some("lifts/set-1/right/rep-2")
            })
            .unwrap()
            .start;
        assert_ne!(new_rep, rep.start);
        let a = s.c.handle(
            s.now,
            Event::Ready {
                generation: 3,
                timeline: new.clone(),
                complete: true,
                rate_wpm: 180,
            },
        );
        assert!(a.contains(&Action::Load {
            generation: 3,
            complete: true
        }));
        assert_eq!(seeks(&a), [new_rep]);
        // "Faster." may still be playing: the new plan waits for it at its first line.
        assert_eq!(gates(&a), [Some(new_rep)]);
        assert_eq!(s.c.timeline().frames, new.frames);
        for _ in 0..20 {
            s.cmd(Command::Faster);
        }
        assert_eq!(said(&s.cmd(Command::Faster)), ["This is the fastest."]);
    }

    #[test]
    fn quit_saves_answers_and_ends_when_the_answer_is_said() {
        let mut s = T::new();
        let p = s.step("bridge/set-1/rep-2").start + 10;
        s.tick(p);
        let a = s.cmd(Command::Quit);
        assert!(
            a.contains(&Action::Pause(true)),
            "the session is silent at once"
        );
        assert!(a.contains(&Action::Save {
            exercise: "bridge".into(),
            name: "Bridge".into()
        }));
        assert!(a.contains(&Action::SayStopping));
        assert!(said(&a).is_empty(), "one answer");
        assert!(a.contains(&Action::Status(Playback::Stopped, "Bridge".into())));
        assert!(
            s.cmd(Command::Next).is_empty(),
            "nothing else once stopping"
        );
        assert!(
            !s.tick_with(p, false, false)
                .iter()
                .any(|x| matches!(x, Action::End(_)))
        );
        let a = s.tick(p);
        let of = s.t().frames;
        assert_eq!(a, [Action::End(Ended::Stopped { at: p, of })]);
        assert!(s.cmd(Command::Play).is_empty(), "ended");
    }

    #[test]
    fn a_signal_ends_at_once_and_saves() {
        let mut s = T::new();
        let p = s.step("lifts/set-1/left/rep-1").start + 10;
        s.tick(p);
        let a = s.cmd(Command::Signal);
        let of = s.t().frames;
        assert!(a.contains(&Action::End(Ended::Interrupted { at: p, of })));
        assert!(a.contains(&Action::Save {
            exercise: "lifts".into(),
            name: "Lifts".into()
        }));
        assert!(said(&a).is_empty());
        let mut s = T::new();
        s.tick(p);
        let a = s.cmd(Command::DeviceGone);
        assert!(a.contains(&Action::End(Ended::DeviceLost { at: p, of })));
        assert!(a.iter().any(|x| matches!(x, Action::Save { .. })));
    }

    fn ended(a: &[Action]) -> bool {
        a.iter().any(|x| matches!(x, Action::End(_)))
    }

    /// The output is lost inside a hold: the place is saved at once and the session waits;
    /// when a new output plays, the rep starts again from its cue after a word that the sound
    /// is back, and the gate holds the rep until that word has been said.
    #[test]
    fn a_lost_output_waits_and_the_part_starts_again_when_it_returns() {
        let mut s = T::new();
        let rep = s.step("lifts/set-1/left/rep-2");
        let hold = s
            .t()
            .of_kind(CueKind::Hold)
            .find(|h| h.start > rep.start)
            .unwrap()
            .clone();
        let p = hold.start + hold.len() / 2;
        s.tick(p);
        let a = s.cmd(Command::DeviceLost);
        assert!(a.contains(&Action::Save {
            exercise: "lifts".into(),
            name: "Lifts".into()
        }));
        assert!(a.contains(&Action::Pause(true)));
        assert!(!ended(&a) && said(&a).is_empty(), "{a:?}");
        // The dead deck's last report changes nothing; keys get no answer, nobody could hear it.
        assert!(s.tick(p).is_empty());
        for c in [
            Command::Next,
            Command::Where,
            Command::Louder,
            Command::DeviceLost,
        ] {
            assert!(s.cmd(c).is_empty(), "{c:?}");
        }
        let a = s.c.handle(s.now, Event::DeviceBack);
        assert_eq!(seeks(&a), [rep.start], "{a:?}");
        assert!(a.contains(&Action::Pause(false)));
        assert!(a.contains(&Action::Gain(0.8)));
        assert_eq!(said(&a), ["The sound is back. Starting this part again."]);
        assert_eq!(gates(&a), [Some(rep.start)]);
        // The new deck counts overlays from zero: its first answer's end opens the gate.
        s.done = 0;
        let a = s.tick_with(rep.start, false, false);
        assert!(gates(&a).is_empty());
        let a = s.tick_with(rep.start, true, false);
        assert_eq!(gates(&a), [None]);
        assert!(!ended(&s.tick(hold.end)));
    }

    #[test]
    fn a_lost_output_that_never_returns_ends_the_session_with_the_place_saved() {
        let mut s = T::new();
        let p = s.step("lifts/set-1/left/rep-1").start + 10;
        s.tick(p);
        s.cmd(Command::DeviceLost);
        let a = s.cmd(Command::DeviceGone);
        let of = s.t().frames;
        assert!(a.contains(&Action::End(Ended::DeviceLost { at: p, of })));
        assert!(a.iter().any(|x| matches!(x, Action::Save { .. })));
        assert!(s.c.handle(s.now, Event::DeviceBack).is_empty(), "over");
    }

    #[test]
    fn paused_before_or_while_the_output_is_lost_stays_paused_when_it_returns() {
        for pause_first in [true, false] {
            let mut s = T::new();
            let p = s.step("lifts/set-1/left/rep-1").start + 10;
            s.tick(p);
            if pause_first {
                s.cmd(Command::Pause);
                s.tick(p);
            }
            s.cmd(Command::DeviceLost);
            if !pause_first {
                assert!(s.cmd(Command::PlayPause).is_empty());
            }
            let a = s.c.handle(s.now, Event::DeviceBack);
            assert!(a.contains(&Action::Pause(true)), "{a:?}");
            assert!(seeks(&a).iter().all(|&f| f == p), "{a:?}");
            assert_eq!(
                said(&a),
                ["The sound is back. Still paused. Press space to go on."]
            );
            assert!(s.c.is_paused());
            // Going on works as after any pause.
            assert!(s.cmd(Command::PlayPause).contains(&Action::Pause(false)));
        }
        // Without a terminal the hint names the play button, not the space key.
        let mut s = T::new();
        s.c.keys = false;
        let p = s.step("lifts/set-1/left/rep-1").start + 10;
        s.tick(p);
        s.cmd(Command::Pause);
        s.cmd(Command::DeviceLost);
        let a = s.c.handle(s.now, Event::DeviceBack);
        assert_eq!(
            said(&a),
            ["The sound is back. Still paused. Press play to go on."]
        );
    }

    #[test]
    fn stopping_while_the_output_is_lost_ends_at_once() {
        let mut s = T::new();
        let p = s.step("lifts/set-1/left/rep-1").start + 10;
        s.tick(p);
        s.cmd(Command::DeviceLost);
        let a = s.cmd(Command::Quit);
        let of = s.t().frames;
        assert!(
            a.contains(&Action::End(Ended::Stopped { at: p, of })),
            "{a:?}"
        );
        assert!(said(&a).is_empty());
        // Lost while "Stopping" is being said: it can no longer be heard.
        let mut s = T::new();
        s.tick(p);
        s.cmd(Command::Quit);
        let a = s.cmd(Command::DeviceLost);
        assert!(
            a.contains(&Action::End(Ended::Stopped { at: p, of })),
            "{a:?}"
        );
    }

    #[test]
    fn an_output_lost_before_the_opening_was_ready_starts_from_the_top() {
        let mut c = Conductor::new(&crate::phrases::EN, Volume::percent(100), 160);
        c.handle(Duration::ZERO, Event::Command(Command::DeviceLost));
        let a = c.handle(
            Duration::ZERO,
            Event::Ready {
                generation: 1,
                timeline: timeline(ROUTINE, 0.4),
                complete: true,
                rate_wpm: 160,
            },
        );
        assert!(seeks(&a).is_empty(), "{a:?}");
        assert!(
            c.handle(Duration::ZERO, Event::DeviceBack)
                .contains(&Action::Seek(0))
        );
        assert!(!c.is_paused());
    }

    /// Every command at a frame inside every kind of cue, between exercises, at the very start
    /// and at the very end: seeks land on a boundary, a gate never lets an answer overlap a
    /// planned sound, only "next" moves forward, and every gate opens again.
    #[test]
    fn every_command_at_every_kind_of_cue_keeps_the_invariants() {
        let commands = [
            Command::PlayPause,
            Command::Play,
            Command::Pause,
            Command::Next,
            Command::Back,
            Command::Repeat,
            Command::Where,
            Command::Faster,
            Command::Slower,
            Command::Louder,
            Command::Softer,
            Command::Help,
            Command::Quit,
            Command::Signal,
            Command::DeviceLost,
            Command::DeviceGone,
            Command::Unknown,
        ];
        let probe = T::new();
        let t = probe.t();
        let mut frames: Vec<(String, u64)> = Vec::new();
        for kind in [
            CueKind::Speech,
            CueKind::Sound,
            CueKind::Hold,
            CueKind::Rest,
            CueKind::Prepare,
            CueKind::Move,
        ] {
            for c in t.of_kind(kind).filter(|c| c.len() > 4) {
                frames.push((format!("{kind:?} start"), c.start));
                frames.push((format!("{kind:?} middle"), c.start + c.len() / 2));
            }
        }
        let bridge = probe.step("bridge/setup");
        frames.push(("between exercises".into(), bridge.start + 100));
        frames.push(("very start".into(), 0));
        frames.push(("very end".into(), t.frames));
        let boundaries: HashSet<u64> = t
            .cues
            .iter()
            .filter(|c| matches!(c.kind, CueKind::Step | CueKind::Speech | CueKind::Sound))
            .map(|c| c.start)
            .chain([0])
            .collect();
        for (what, p) in &frames {
            for paused in [false, true] {
                for &cmd in &commands {
                    let mut s = T::new();
                    s.tick(*p);
                    if paused {
                        s.cmd(Command::Pause);
                        s.tick(*p);
                    }
                    let a = s.cmd(cmd);
                    let ctx = format!("{cmd:?} at {what} ({p}), paused {paused}: {a:?}");
                    for to in seeks(&a) {
                        assert!(boundaries.contains(&to), "seek off a boundary: {ctx}");
                        assert!(to <= *p || cmd == Command::Next, "forward: {ctx}");
                    }
                    let here = s.c.position();
                    for g in gates(&a).into_iter().flatten() {
                        assert!(!paused || cmd == Command::PlayPause || cmd == Command::Play);
                        assert!(g >= here, "gate behind the cursor: {ctx}");
                        assert!(
                            t.cues.iter().all(|c| !(matches!(
                                c.kind,
                                CueKind::Speech | CueKind::Sound
                            ) && ((c.start >= here && c.start < g)
                                || (c.start < here && here < c.end)))),
                            "an answer would overlap a planned cue: {ctx}"
                        );
                    }
                    if gates(&a).iter().any(Option::is_some) {
                        let after = s.tick(here);
                        assert_eq!(gates(&after), [None], "the gate opens: {ctx}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_end_clears_the_saved_place() {
        let mut s = T::new();
        let end = s.t().frames;
        let a = s.tick_with(end, true, true);
        assert!(a.contains(&Action::ClearSaved));
        assert!(a.contains(&Action::End(Ended::Finished)));
        // Stopped in the closing lines: nothing left to resume.
        let mut s = T::new();
        s.tick(s.step("end").start + 10);
        assert!(s.cmd(Command::Quit).contains(&Action::ClearSaved));
    }

    #[test]
    fn before_the_opening_is_ready_keys_get_a_soft_sound() {
        let mut c = Conductor::new(&crate::phrases::EN, Volume::percent(100), 160);
        assert_eq!(
            c.handle(Duration::ZERO, Event::Command(Command::Next)),
            [Action::Sound(SOFT)]
        );
        assert_eq!(
            c.handle(Duration::ZERO, Event::Command(Command::Unknown)),
            [Action::Sound(SOFT)]
        );
        let a = c.handle(Duration::ZERO, Event::Command(Command::Quit));
        assert!(a.contains(&Action::SayStopping));
        assert!(said(&a).is_empty(), "one answer");
    }

    #[test]
    fn the_opening_grows_into_the_whole_session_without_a_seek() {
        let mut c = Conductor::new(&crate::phrases::EN, Volume::percent(100), 160);
        let whole = timeline(ROUTINE, 0.4);
        let r = routine::parse("t.toml", ROUTINE, Origin::Builtin).unwrap();
        let bank = SoundBank::builtin(RATE).unwrap();
        let mut voice = PhraseCache::new(Box::new(StandIn::new(RATE)));
        let mut o = PlanOptions::new(RATE);
        o.intro_only = true;
        let opening = Arc::new(plan::plan(&r, &mut voice, &|s| bank.frames(s), &o).unwrap());
        c.handle(
            Duration::ZERO,
            Event::Ready {
                generation: 1,
                timeline: opening,
                complete: false,
                rate_wpm: 160,
            },
        );
        let a = c.handle(
            Duration::ZERO,
            Event::Ready {
                generation: 2,
                timeline: whole,
                complete: true,
                rate_wpm: 160,
            },
        );
        assert!(seeks(&a).is_empty());
        assert!(a.contains(&Action::Load {
            generation: 2,
            complete: true
        }));
    }
}

#[cfg(test)]
mod simulation {
    //! The conductor driven against a simulated deck, block by block, with keys pressed at
    //! chosen and at random moments: the answers (the overlay lane) and the planned lines and
    //! sounds are never heard at once, and every session still reaches its end.
    use super::*;
    use crate::plan::{self, PlanOptions};
    use crate::render::SoundBank;
    use crate::routine::{self, Origin};
    use crate::voice::{PhraseCache, StandIn};

    const RATE: u32 = 22050;
    const BLOCK: u64 = 128;
    /// The loop's tick, in blocks (20 ms).
    const TICK_BLOCKS: u64 = 3;

    struct Sim {
        c: Conductor,
        t: Arc<Timeline>,
        pos: u64,
        gate: Option<u64>,
        paused: bool,
        overlay_left: u64,
        done: u32,
        mark: u16,
        bank: SoundBank,
        voice: StandIn,
        now: Duration,
        ended: Option<Ended>,
        /// Frames where an answer and a planned cue were mixed together.
        overlaps: Vec<(u64, String)>,
    }

    impl Sim {
        fn new(routine: &str) -> Sim {
            let r = routine::parse("t.toml", routine, Origin::Builtin).unwrap();
            let bank = SoundBank::builtin(RATE).unwrap();
            let mut voice = PhraseCache::new(Box::new(StandIn::new(RATE)));
            let t = Arc::new(
                plan::plan(&r, &mut voice, &|s| bank.frames(s), &PlanOptions::new(RATE)).unwrap(),
            );
            let mut sim = Sim {
                c: Conductor::new(&crate::phrases::EN, Volume::percent(100), 160),
                t: t.clone(),
                pos: 0,
                gate: None,
                paused: false,
                overlay_left: 0,
                done: 0,
                mark: 0,
                bank,
                voice: StandIn::new(RATE),
                now: Duration::ZERO,
                ended: None,
                overlaps: Vec::new(),
            };
            let a = sim.c.handle(
                Duration::ZERO,
                Event::Ready {
                    generation: 1,
                    timeline: t,
                    complete: true,
                    rate_wpm: 160,
                },
            );
            sim.apply(a);
            sim
        }

        fn apply(&mut self, actions: Vec<Action>) {
            for a in actions {
                match a {
                    Action::Seek(f) => self.pos = f.min(self.t.frames),
                    Action::Mark(m) => self.mark = m,
                    Action::Gate(g) => self.gate = g,
                    Action::Pause(p) => self.paused = p,
                    Action::Say(text) => {
                        self.overlay(self.voice.frames_for(&text) + (0.3 * RATE as f64) as u64)
                    }
                    Action::SayStopping => {
                        let text = crate::phrases::EN.controls.stopping;
                        self.overlay(self.voice.frames_for(text) + (0.3 * RATE as f64) as u64)
                    }
                    Action::Sound(name) => {
                        self.overlay(self.bank.get(name).map_or(1, |s| s.len() as u64))
                    }
                    Action::End(e) => self.ended = Some(e),
                    // A rate change needs a voice that depends on the rate: not simulated.
                    Action::Replan(_) => {}
                    _ => {}
                }
            }
        }

        fn overlay(&mut self, len: u64) {
            if self.overlay_left > 0 {
                self.done += 1;
            }
            self.overlay_left = len;
        }

        /// One block of the deck, then (every tick) a position report.
        fn block(&mut self, n: u64) {
            let limit = self.gate.unwrap_or(u64::MAX).min(self.t.frames);
            if !self.paused && self.pos < limit {
                let k = (limit - self.pos).min(BLOCK);
                if self.overlay_left > 0
                    && let Some(c) = self.t.cues.iter().find(|c| {
                        matches!(c.kind, CueKind::Speech | CueKind::Sound)
                            && c.start < self.pos + k
                            && self.pos < c.end
                    })
                {
                    self.overlaps.push((self.pos, format!("{c:?}")));
                }
                self.pos += k;
            }
            if self.overlay_left > 0 {
                self.overlay_left = self.overlay_left.saturating_sub(BLOCK);
                if self.overlay_left == 0 {
                    self.done += 1;
                }
            }
            self.now += Duration::from_secs_f64(BLOCK as f64 / f64::from(RATE));
            if n % TICK_BLOCKS == 0 {
                let finished = self.pos >= self.t.frames;
                let a = self.c.handle(
                    self.now,
                    Event::Tick {
                        frame: self.pos,
                        mark: self.mark,
                        overlays_done: self.done,
                        finished,
                    },
                );
                self.apply(a);
            }
        }

        fn key(&mut self, c: Command) {
            let a = self.c.handle(self.now, Event::Command(c));
            self.apply(a);
        }

        /// Runs until the session ends (or a limit), pressing `keys` at their block numbers.
        fn run(&mut self, keys: &[(u64, Command)]) {
            let limit = self.t.frames / BLOCK * 4 + 100_000;
            let mut n = 0;
            while self.ended.is_none() && n < limit {
                for &(at, k) in keys.iter().filter(|(at, _)| *at == n) {
                    let _ = at;
                    self.key(k);
                }
                self.block(n);
                n += 1;
            }
        }
    }

    const ROUTINE: &str = r#"
        id = "t"
        title = "Test"
        lead_in_secs = 2
        [[exercise]]
        id = "lifts"
        name = "Lifts"
        cue = "Lift your {side} leg."
        release = "Down."
        sides = "left-then-right"
        reps = 2
        hold_secs = 6
        countdown = 3
        [[exercise]]
        id = "bridge"
        name = "Bridge"
        cue = "Lift your hips."
        reps = 2
        hold_secs = 3
        [[exercise]]
        id = "slides"
        name = "Slides"
        kind = "reps"
        cue = "Slide your heel in."
        tempo = [1.5, 1]
        reps = 2
        [[exercise]]
        id = "march"
        name = "March"
        kind = "timed"
        cue = "March."
        duration_secs = 6
    "#;

    fn blocks(secs: f64) -> u64 {
        (secs * f64::from(RATE) / BLOCK as f64) as u64
    }

    #[test]
    fn with_no_keys_the_session_plays_to_its_end() {
        let mut s = Sim::new(ROUTINE);
        s.run(&[]);
        assert_eq!(s.ended, Some(Ended::Finished));
        assert_eq!(s.pos, s.t.frames);
    }

    #[test]
    fn answers_in_the_closing_lines_never_overlap_them() {
        // The tester's sequence: next to the closing, next again, then "where" twice during
        // the last line, 0.35 s apart.
        let probe = Sim::new(ROUTINE);
        let last = probe.t.of_kind(CueKind::Speech).last().unwrap().clone();
        let end = probe
            .t
            .cues
            .iter()
            .find(|c| c.step.as_ref().map(ToString::to_string).as_deref() == Some("end"))
            .unwrap()
            .start;
        // Without keys the closing's last line starts at a known block.
        let at = |f: u64| f / BLOCK;
        let mut s = Sim::new(ROUTINE);
        s.run(&[
            (at(end) + 20, Command::Next),
            (at(last.start) + blocks(0.22), Command::Where),
            (at(last.start) + blocks(0.57), Command::Where),
        ]);
        assert!(
            s.overlaps.is_empty(),
            "{:?}",
            &s.overlaps[..s.overlaps.len().min(3)]
        );
        assert_eq!(s.ended, Some(Ended::Finished));
    }

    #[test]
    fn random_keys_never_make_two_voices() {
        let commands = [
            Command::PlayPause,
            Command::Next,
            Command::Back,
            Command::Repeat,
            Command::Where,
            Command::Louder,
            Command::Softer,
            Command::Help,
            Command::Unknown,
        ];
        let probe = Sim::new(ROUTINE);
        let total = probe.t.frames / BLOCK;
        // A small deterministic generator: the same cases every run.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for case in 0..60 {
            let mut keys: Vec<(u64, Command)> = (0..(next() % 12 + 1))
                .map(|_| {
                    let at = next() % (total + blocks(5.0));
                    (at, commands[(next() % commands.len() as u64) as usize])
                })
                .collect();
            keys.sort_by_key(|k| k.0);
            // Every pause is followed by a resume some seconds later, so sessions end.
            let mut all = Vec::new();
            for (at, k) in keys {
                all.push((at, k));
                if k == Command::PlayPause {
                    all.push((at + blocks(3.0), Command::PlayPause));
                }
            }
            let mut s = Sim::new(ROUTINE);
            s.run(&all);
            assert!(
                s.overlaps.is_empty(),
                "case {case}, keys {all:?}: {:?}",
                &s.overlaps[..s.overlaps.len().min(3)]
            );
            assert!(s.ended.is_some(), "case {case}, keys {all:?}: never ended");
        }
    }
}
